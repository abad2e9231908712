/**
 * Each active project's figures at `now` for the hourly job, from its aggregate wherever one can be trusted: one item
 * read, plus only the items whose contribution time alone changed since the aggregate's instant.
 */
import { forEachConcurrently, PROJECT_READ_CONCURRENCY } from '../concurrency.ts';
import { type AggregateRules, advanceAggregate, changedSpans, type ProjectAggregate, rulesKeyOf } from '../domain/hourly-aggregate.ts';
import {
  closuresSince,
  countingRules,
  emptyTally,
  type OpenBug,
  type Tally,
  tallyClosure,
  tallyOpenBug,
} from '../domain/hourly-metrics.ts';
import { type StoredAggregate, writerCrashed } from '../store/project-aggregates-store.ts';
import { HOURLY_SNAPSHOT_REFRESH_MS } from '../store/snapshots-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';

export interface ProjectTallies {
  readonly tallies: Map<string, Tally>;
  /** The projects whose figures are stored already, in a recent snapshot of their aggregate's instant: no snapshot due. */
  readonly snapshotted: Set<string>;
  /**
   * Stores the aggregates counted at `now`, each only if no writer began since it was read; to be called once the
   * hour's snapshots are written, which the aggregates then record.
   */
  readonly storeAggregates: () => Promise<void>;
  /** Every open bug that may fire a bug alert at `now` (a superset: `firingAlerts` decides). */
  readonly alertingBugs: OpenBug[];
  /** WorkItems read, aggregates included. */
  readonly itemsRead: number;
  /** How each project's figures were had: from its aggregate alone, moved forward, or read in full. */
  readonly paths: Record<'aggregate' | 'advanced' | 'full', number>;
}

/**
 * Each project's tally at `now`:
 * - a clean aggregate (no writer in flight or since, same rules, counted at or before `now`) whose next change lies
 *   after `now` gives it with no other read, and no snapshot is due when a recent one holds its figures;
 * - one with changes in (A, `now`] is moved forward from the items of the changed spans;
 * - any other project is read in full, as before aggregates, and its aggregate rebuilt at `now` when no writer is in
 *   flight (or the one in flight crashed), unless it holds a newer clean one (a replay of an earlier hour).
 * The aggregates counted at `now` are stored by `storeAggregates`, after the snapshots: a run that fails in between
 * leaves them to the next, which counts and writes them again.
 */
export async function readProjectTallies(
  items: WorkItemsStore,
  projectIds: readonly string[],
  now: Date,
  rules: AggregateRules,
): Promise<ProjectTallies> {
  const stored = await items.aggregates.getMany(projectIds);
  const rulesKey = rulesKeyOf(rules);
  const tallies = new Map<string, Tally>();
  const snapshotted = new Set<string>();
  const counted: { readonly aggregate: ProjectAggregate; readonly expected: StoredAggregate | undefined }[] = [];
  const alertingBugs: OpenBug[] = [];
  const paths = { aggregate: 0, advanced: 0, full: 0 };
  let itemsRead = stored.size;
  const use = (aggregate: ProjectAggregate) => {
    tallies.set(aggregate.projectId, aggregate.tally);
    alertingBugs.push(...aggregate.alertingBugs);
  };

  await forEachConcurrently(projectIds, PROJECT_READ_CONCURRENCY, async (projectId) => {
    const entry = stored.get(projectId);
    const aggregate = entry && trusted(entry, rulesKey, now);
    if (aggregate) {
      const spans = changedSpans(aggregate, now, rules);
      if (spans.length === 0) {
        paths.aggregate++;
        if (entry.snapshotAt === aggregate.at && now.getTime() - Date.parse(aggregate.at) < HOURLY_SNAPSHOT_REFRESH_MS) {
          snapshotted.add(projectId);
        } else {
          // The figures are the aggregate's, but no recent snapshot holds them: this hour's does, and the aggregate says so.
          counted.push({ aggregate: advanceAggregate(aggregate, { openBugs: [], closures: [] }, now, rules), expected: entry });
        }
        return use(aggregate);
      }
      const changed = await items.aggregates.readSpans(projectId, spans);
      itemsRead += changed.openBugs.length + changed.closures.length;
      const advanced = advanceAggregate(aggregate, changed, now, rules);
      counted.push({ aggregate: advanced, expected: entry });
      paths.advanced++;
      return use(advanced);
    }
    paths.full++;
    if (mayRebuild(entry, rulesKey, now)) {
      const recounted = await items.aggregates.recount(projectId, now, rules);
      itemsRead += recounted.itemsRead;
      counted.push({ aggregate: recounted.aggregate, expected: entry });
      return use(recounted.aggregate);
    }
    const [openBugs, closures] = await Promise.all([
      items.listOpenBugs(projectId, now),
      items.listClosedBugs(projectId, closuresSince(now), now),
    ]);
    itemsRead += openBugs.length + closures.length;
    const counting = countingRules(rules, rules);
    const tally = emptyTally();
    for (const bug of openBugs) tallyOpenBug(tally, bug, now, counting, 1);
    for (const closure of closures) tallyClosure(tally, closure, now, 1);
    tallies.set(projectId, tally);
    alertingBugs.push(...openBugs);
  });
  const storeAggregates = async () => {
    // A put refused because a writer began since the read leaves the aggregate to that writer.
    await forEachConcurrently(counted, PROJECT_READ_CONCURRENCY, async ({ aggregate, expected }) => {
      await items.aggregates.put(aggregate, expected, { snapshotted: true });
    });
  };
  return { tallies, snapshotted, storeAggregates, alertingBugs, itemsRead, paths };
}

/** The aggregate, if nothing was written since it was counted, by the same rules, at or before `now`. */
function trusted(entry: StoredAggregate, rulesKey: string, now: Date): ProjectAggregate | undefined {
  const { aggregate } = entry;
  if (!aggregate || entry.writers !== 0 || entry.dirtySince !== undefined) return undefined;
  return aggregate.rulesKey === rulesKey && Date.parse(aggregate.at) <= now.getTime() ? aggregate : undefined;
}

/** Whether the hourly job should rebuild a project's aggregate it could not use. */
function mayRebuild(entry: StoredAggregate | undefined, rulesKey: string, now: Date): boolean {
  if (!entry) return true;
  const counted = entry.aggregate ?? entry.overflow;
  const clean = entry.writers === 0 && entry.dirtySince === undefined;
  // A clean one by these rules is newer than `now` (a replay: keep it), or too large to store (it would be again).
  if (clean && counted?.rulesKey === rulesKey) return false;
  return entry.writers <= 0 || writerCrashed(entry, now);
}
