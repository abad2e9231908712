/**
 * `npm run bench` (hourly part): the hourly job at 10,000 projects in dynalite, once as it was (every project's open
 * bugs and 14 days of closures read through the indexes) and once through the synthesized state machine with the
 * hourly aggregates, in the same run over the same items. The aggregates were built an hour before; in the hour,
 * 5% of the projects were changed by a writer (which keeps their aggregate), and SLA deadlines and closures leaving
 * the 7- and 14-day windows fall in the hour for some. Counts every WorkItems item DynamoDB reads (Query
 * ScannedCount, BatchGetItem responses) against what each design needs, checks both give the same figures, and
 * prints a Markdown table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { forEachConcurrently, PROJECT_READ_CONCURRENCY } from '../../shared/concurrency.ts';
import { alertRules, bugRules } from '../../shared/dependencies.ts';
import { type AggregateRules, buildAggregate } from '../../shared/domain/hourly-aggregate.ts';
import { type ClosedBug, closuresSince, combineFigures, hourlyFigures, type OpenBug } from '../../shared/domain/hourly-metrics.ts';
import { newProject } from '../../shared/domain/project.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';
import { readProjectTallies } from '../../shared/hourly/project-tallies.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { WorkItemsStore } from '../../shared/store/work-items-store.ts';
import { storedBug } from '../support/hourly.ts';

const PROJECTS = 10_000;
const OPEN_BUGS = 12;
const RECENT_CLOSURES = 4;
/** Items each project also holds that neither design needs: old closures, pull requests. */
const OTHER_ITEMS = 4;
/** Every twentieth project is changed by a writer in the hour. */
const CHANGED_EVERY = 20;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = new Date('2026-11-23T10:00:00Z');
const previousRun = new Date(at.getTime() - HOUR);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
const count = (value: number) => value.toLocaleString('en-US');
const ITEMS = PROJECTS * (OPEN_BUGS + RECENT_CLOSURES + OTHER_ITEMS);
const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/**
 * A project's items: open bugs of every severity opened over 60 days, recent closures, old ones and pull requests.
 * Project p's open bug p % 11 reaches its SLA deadline in the hour for one project in 10, and a closure leaves the
 * 7-day window in the hour for another one in 10.
 */
function projectItems(projectId: string, p: number): WorkItem[] {
  const items: WorkItem[] = [];
  let number = 0;
  const severities = ['critical', 'high', 'medium', 'low'] as const;
  for (let i = 0; i < OPEN_BUGS; i++) {
    const severity = severities[(i + p) % 4]!;
    const crossing = p % 10 === 0 && i === p % OPEN_BUGS;
    const sla = bugRules().slaHours[severity] * HOUR;
    // Opened on a minute boundary 4 to 60 days back (or, when crossing, so that the deadline falls inside the hour).
    const openedAt = crossing
      ? at.getTime() - sla - 30 * 60_000
      : at.getTime() - 4 * DAY - ((p * 7919 + i * 104_729) % (56 * 24 * 60)) * 60_000;
    items.push(
      storedBug(projectId, ++number, {
        severity,
        createdAt: iso(openedAt),
        revenueImpact: ((p + i) % 7) * 50.25,
        assignees: (p + i) % 5 === 0 ? [] : ['dev'],
      }),
    );
  }
  for (let i = 0; i < RECENT_CLOSURES; i++) {
    const leaving = p % 10 === 5 && i === 0;
    const closedAt = leaving ? at.getTime() - 7 * DAY - 20 * 60_000 : at.getTime() - (1 + ((p + 3 * i) % 12)) * DAY - 17 * 60_000;
    items.push(storedBug(projectId, ++number, { severity: 'medium', createdAt: iso(closedAt - 30 * DAY), closedAt: iso(closedAt) }));
  }
  for (let i = 0; i < OTHER_ITEMS; i++) {
    const time = iso(at.getTime() - (20 + i) * DAY);
    items.push(
      i < 2
        ? storedBug(projectId, ++number, { severity: 'low', createdAt: iso(at.getTime() - 90 * DAY), closedAt: time })
        : {
            projectId,
            number: ++number,
            kind: 'pull_request',
            title: `Change ${number}`,
            state: 'open',
            htmlUrl: `https://github.com/${projectId}/pull/${number}`,
            author: 'octocat',
            assignees: [],
            labels: [],
            createdAt: time,
            updatedAt: time,
          },
    );
  }
  return items;
}

const openBugsOf = (items: readonly WorkItem[]) =>
  items.filter((item) => item.kind === 'bug' && item.state === 'open') as unknown as OpenBug[];
const closuresOf = (items: readonly WorkItem[]): ClosedBug[] =>
  items.flatMap((item) =>
    item.kind === 'bug' && item.closedAt ? [{ projectId: item.projectId, number: item.number, closedAt: item.closedAt }] : [],
  );

/** WorkItems items read (Query ScannedCount, BatchGetItem responses), and items written (snapshots, aggregates). */
let itemsRead = 0;
let snapshotsWritten = 0;
let aggregatesWritten = 0;
documentClient.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown[]> };
    if (context.commandName === 'BatchWriteItemCommand') {
      for (const [table, requests] of Object.entries(input.RequestItems ?? {}))
        if (table.includes('Snapshots')) snapshotsWritten += requests.length;
    }
    if (context.commandName === 'PutItemCommand' && input.TableName?.includes('WorkItems')) aggregatesWritten++;
    const output = result.output as { ScannedCount?: number; Responses?: Record<string, unknown[]> };
    if (context.commandName === 'QueryCommand' && input.TableName?.includes('WorkItems')) itemsRead += output.ScannedCount ?? 0;
    if (context.commandName === 'BatchGetItemCommand') {
      for (const [table, items] of Object.entries(output.Responses ?? {})) if (table.includes('WorkItems')) itemsRead += items.length;
    }
    return result;
  },
  { step: 'initialize', name: 'countWorkItemsRead' },
);

// The main thread's heap (dynalite runs on a worker thread with its own heap) stands in for the Lambda's memory.
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 20);

/** Runs `work` and measures it: wall time, WorkItems items read, main-thread heap growth. */
async function measured<T>(work: () => Promise<T>) {
  itemsRead = 0;
  snapshotsWritten = 0;
  aggregatesWritten = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  peakHeap = heapBefore;
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  return { result, wallMs, itemsRead, snapshotsWritten, aggregatesWritten, heapGrowth: peakHeap - heapBefore };
}

const alertsDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-bench-alerts-'));
const runtime = await LocalRuntime.start({
  context: readCdkContext(PROJECT_ROOT),
  alertsFile: path.join(alertsDirectory, 'alerts.jsonl'),
});
try {
  const rules: AggregateRules = { ...bugRules(), ...alertRules() };
  const seeding = performance.now();
  const projectIds = Array.from({ length: PROJECTS }, (_, p) => `bench/repo-${String(p).padStart(5, '0')}`);
  const allItems = new Map(projectIds.map((projectId, p) => [projectId, projectItems(projectId, p)]));
  await forEachConcurrently(projectIds, 16, async (projectId) => {
    await runtime.stores.projects.save(newProject({ repository: projectId }, new Date('2026-01-01T00:00:00Z')));
    const items = allItems.get(projectId)!;
    await runtime.stores.items.upsert(items, { soleWriter: true });
    // The previous hourly run left each project's aggregate at its hour (the counters: one write, begun and ended).
    const aggregate = buildAggregate(projectId, openBugsOf(items), closuresOf(items), previousRun, rules);
    if (!(await runtime.stores.items.aggregates.put(aggregate, { writers: 0, changes: 2 }))) throw new Error(`${projectId}: not seeded`);
  });
  console.error(`seeded ${count(ITEMS)} items in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);

  // In the hour, a writer (the sync or the webhook consumer, rules wired) assigns one bug in every twentieth project.
  let changedItems = 0;
  await forEachConcurrently(
    projectIds.filter((_, p) => p % CHANGED_EVERY === 3),
    16,
    async (projectId) => {
      const writer = new WorkItemsStore(documentClient, runtime.stores.items.tableName, {
        aggregateRules: rules,
        clock: () => new Date(at.getTime() - 20 * 60_000),
      });
      const items = allItems.get(projectId)!;
      const edited = { ...items[0]!, assignees: ['oncall'], updatedAt: iso(at.getTime() - 20 * 60_000) };
      items[0] = edited;
      const written = await writer.upsert([edited]);
      changedItems += written;
    },
  );

  // Needed by the aggregates' design: one aggregate a project, the items changed in the hour, and those whose
  // deadline or window boundary passed in it (with an hour between runs, no item has two such instants in one).
  const crossingsIn = (from: Date, to: Date) =>
    [...allItems].reduce((sum, [projectId, items]) => {
      const { upcoming } = buildAggregate(projectId, openBugsOf(items), closuresOf(items), from, rules);
      return (
        sum +
        Object.values(upcoming)
          .flat()
          .filter((instant) => instant <= to.getTime()).length
      );
    }, 0);
  const nextHour = new Date(at.getTime() + HOUR);
  const crossings = [crossingsIn(previousRun, at), crossingsIn(at, nextHour)] as const;
  const neededByFullRead = (when: Date) =>
    [...allItems.values()].reduce(
      (sum, items) =>
        sum + openBugsOf(items).length + closuresOf(items).filter((closure) => closure.closedAt > closuresSince(when)).length,
      0,
    );
  const fullRead = (when: Date) =>
    measured(async () => {
      const openBugs: OpenBug[] = [];
      const closures: ClosedBug[] = [];
      await forEachConcurrently(projectIds, PROJECT_READ_CONCURRENCY, async (projectId) => {
        const [open, closed] = await Promise.all([
          runtime.stores.items.listOpenBugs(projectId, when),
          runtime.stores.items.listClosedBugs(projectId, closuresSince(when), when),
        ]);
        openBugs.push(...open);
        closures.push(...closed);
      });
      const figures = hourlyFigures(projectIds, openBugs, closures, when, rules, rules);
      await runtime.stores.snapshots.putHourly(figures);
      return figures;
    });

  const fullAt = await fullRead(at);
  const aggregatesAt = await measured(async () => {
    const { tallies, snapshotted, storeAggregates } = await readProjectTallies(runtime.stores.items, projectIds, at, rules);
    const figures = combineFigures(at, tallies);
    await runtime.stores.snapshots.putHourly(figures, snapshotted);
    await storeAggregates();
    return figures;
  });
  if (!isDeepStrictEqual(aggregatesAt.result, fullAt.result)) throw new Error('the aggregates and the full read differ');
  const fullNext = await fullRead(nextHour);
  const jobNext = await measured(() => runtime.runJob('hourly', { at: nextHour }));
  if (jobNext.result.run?.status !== 'completed') throw new Error(`the hourly run ended ${jobNext.result.run?.status}`);
  const { projectId: _id, at: _at, ...snapshot } = (await runtime.stores.snapshots.latestHourly(undefined, nextHour))!;
  if (!isDeepStrictEqual(snapshot, fullNext.result.totals)) {
    throw new Error(`the job's totals ${JSON.stringify(snapshot)} differ from the full read's ${JSON.stringify(fullNext.result.totals)}`);
  }

  console.log(
    `\nHourly job benchmark: ${count(PROJECTS)} projects, ${count(PROJECTS * OPEN_BUGS)} open bugs, ` +
      `${count(ITEMS)} items in all; ${count(changedItems)} items changed in the first hour; ` +
      `deadlines and window boundaries passed: ${count(crossings[0])}, then ${count(crossings[1])}; dynalite, Node ${process.version}\n`,
  );
  const headings = [
    'hour',
    'design',
    'wall',
    'WorkItems read',
    'needed',
    'read / needed',
    'snapshots written',
    'aggregates written',
    'heap growth (main thread)',
  ];
  const row = (hour: string, design: string, run: Awaited<ReturnType<typeof measured>>, needed: number) => {
    const cells = [hour, design, `${(run.wallMs / 1000).toFixed(1)} s`, count(run.itemsRead), count(needed)];
    const writes = [count(run.snapshotsWritten), count(run.aggregatesWritten)];
    return `| ${[...cells, `${(run.itemsRead / needed).toFixed(3)}x`, ...writes, mebibytes(run.heapGrowth)].join(' | ')} |`;
  };
  console.log(`| ${headings.join(' | ')} |`);
  console.log(`|${'---|'.repeat(headings.length)}`);
  console.log(row('first', 'full read (before aggregates): figures, snapshots', fullAt, neededByFullRead(at)));
  console.log(row('first', 'aggregates: figures, snapshots', aggregatesAt, PROJECTS + changedItems + crossings[0]));
  console.log(row('next', 'full read (before aggregates): figures, snapshots', fullNext, neededByFullRead(nextHour)));
  console.log(row('next', 'aggregates: the whole job (state machine)', jobNext, PROJECTS + crossings[1]));
  console.log(
    '\nNeeded: full read = open bugs + 14 days of closures; aggregates = 1 a project + items changed + deadlines and boundaries passed.',
  );
  console.log('Both designs give the same figures (checked). Target: aggregates read / needed <= 1.05x.');
} finally {
  clearInterval(sampler);
  await runtime.close();
  fs.rmSync(alertsDirectory, { recursive: true, force: true });
}
