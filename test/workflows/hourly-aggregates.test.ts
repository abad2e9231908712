import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { alertRules, bugRules } from '../../shared/dependencies.ts';
import { firingAlerts } from '../../shared/domain/alerts.ts';
import { hourlyFigures, type OpenBug } from '../../shared/domain/hourly-metrics.ts';
import { newProject } from '../../shared/domain/project.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { WorkItemsStore } from '../../shared/store/work-items-store.ts';
import { hour, iso, storedBug } from '../support/hourly.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.close());
beforeEach(async () => {
  await runtime.reset();
  for (const repository of ['acme/api', 'acme/web']) {
    await runtime.stores.projects.save(newProject({ repository }, new Date('2026-10-01T00:00:00Z')));
  }
});

const PROJECTS = ['acme/api', 'acme/web'];

/** What a full read of every project's stored bugs gives at hour `n`: the figures and the bug alerts firing. */
async function recount(n: number) {
  const items = (await Promise.all(PROJECTS.map((projectId) => runtime.stores.items.listForProject(projectId)))).flat();
  const bugs = items.filter((item) => item.kind === 'bug');
  const openBugs = bugs.filter((item) => item.state === 'open') as unknown as OpenBug[];
  const closures = bugs.flatMap((item) =>
    item.closedAt ? [{ projectId: item.projectId, number: item.number, closedAt: item.closedAt }] : [],
  );
  const figures = hourlyFigures(PROJECTS, openBugs, closures, hour(n), bugRules(), alertRules());
  const alerts = firingAlerts(openBugs, figures, hour(n), bugRules(), alertRules())
    .map((alert) => alert.alertId)
    .sort();
  return { figures, alerts };
}

let projectSnapshotsSkipped = 0;
/** Queries of WorkItems (its table or its indexes) during each hour's run. */
const workItemQueries = new Map<number, number>();

/** The hour's run through the state machine, checked against a full recount: every project's snapshot and the open alerts. */
async function runAndCompare(n: number) {
  let queries = 0;
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const table = (args.input as { TableName?: string }).TableName;
      if (context.commandName === 'QueryCommand' && table === runtime.stores.items.tableName) queries++;
      return next(args);
    },
    { step: 'initialize', name: 'countWorkItemQueries' },
  );
  const result = await runtime.runJob('hourly', { at: hour(n), retryIntervalMs: 0 }).finally(() => {
    documentClient.middlewareStack.remove('countWorkItemQueries');
  });
  workItemQueries.set(n, queries);
  expect(result.run, `the run of hour ${n}`).toMatchObject({ status: 'completed' });
  const { figures, alerts } = await recount(n);
  for (const { projectId, ...expected } of figures.projects) {
    // The latest snapshot at or before the hour: a project whose figures a recent one holds gets none this hour.
    const snapshot = await runtime.stores.snapshots.latestHourly(projectId, hour(n));
    expect(snapshot, `${projectId} at hour ${n}`).toMatchObject(expected);
    if (snapshot?.at !== iso(n)) projectSnapshotsSkipped++;
  }
  const open = (await runtime.stores.alerts.listTracked('bugs')).filter((alert) => alert.status === 'open');
  expect(open.map((alert) => alert.alertId).sort(), `alerts open at hour ${n}`).toEqual(alerts);
}

const bug = (projectId: string, number: number, fields: Parameters<typeof storedBug>[2]): WorkItem => storedBug(projectId, number, fields);

describe('hourly aggregates, through the synthesized state machine', () => {
  it('equal a full recomputation after every kind of change and across deadlines and the 7- and 14-day boundaries', async () => {
    // A writer as the sync and the webhook consumer are once their rules are wired: it rebuilds at its own time.
    let writerClock = hour(0);
    const writer = new WorkItemsStore(documentClient, runtime.stores.items.tableName, {
      aggregateRules: { ...bugRules(), ...alertRules() },
      clock: () => writerClock,
    });
    const write = async (n: number, items: WorkItem[]) => {
      writerClock = hour(n);
      await writer.upsert(items);
    };
    await write(-1, [
      bug('acme/api', 1, { severity: 'critical', createdAt: iso(-20), revenueImpact: 2500.1, assignees: ['dev'] }),
      bug('acme/api', 2, { severity: 'high', createdAt: iso(-60), revenueImpact: 0.2 }),
      bug('acme/api', 3, { severity: 'medium', createdAt: iso(-100), closedAt: iso(-0.5) }),
      bug('acme/web', 1, { severity: 'critical', createdAt: iso(-2), revenueImpact: 9000 }),
      bug('acme/web', 2, { severity: 'low', createdAt: iso(-200), closedAt: iso(-160) }),
    ]);
    // Written by the runtime's own store (no rules): the project is only marked changed, and the hourly run rebuilds it.
    await runtime.stores.items.upsert([bug('acme/web', 3, { severity: 'medium', createdAt: iso(-10), revenueImpact: 50 })]);

    await runAndCompare(0);
    await runAndCompare(1);
    // Hour 4: critical acme/api#1 passes its 24-hour SLA; a new bug, an edit (assigned) and a relabel (severity).
    await runAndCompare(4.5);
    await write(5, [
      bug('acme/api', 4, { severity: 'critical', createdAt: iso(4.9), revenueImpact: 100 }),
      bug('acme/web', 1, { severity: 'critical', createdAt: iso(-2), revenueImpact: 9000, assignees: ['dev'], updatedAt: iso(5) }),
    ]);
    await runtime.stores.items.putIfNewer(
      bug('acme/api', 2, { severity: 'critical', createdAt: iso(-60), revenueImpact: 0.2, updatedAt: iso(5.2) }),
    );
    await runAndCompare(6);
    // Closed, then reopened; high and medium deadlines and the closures' 7-day boundary pass in the days after.
    await write(7, [bug('acme/api', 4, { severity: 'critical', createdAt: iso(4.9), revenueImpact: 100, closedAt: iso(6.5) })]);
    await runAndCompare(8);
    await write(9, [bug('acme/api', 4, { severity: 'critical', createdAt: iso(4.9), revenueImpact: 100, updatedAt: iso(9) })]);
    for (const n of [10, 12, 30, 31, 100, 167, 168, 169, 175, 335, 336, 340]) await runAndCompare(n);

    // Hours in which time alone changed nothing were counted from the aggregates alone: no query at all.
    expect(workItemQueries.get(1)).toBe(0);
    expect([...workItemQueries.values()].filter((queries) => queries === 0).length).toBeGreaterThanOrEqual(5);
    expect(projectSnapshotsSkipped).toBeGreaterThanOrEqual(5);
    // Both aggregates are clean and in use: the last hours were counted from them.
    const stored = await runtime.stores.items.aggregates.getMany(PROJECTS);
    for (const projectId of PROJECTS) {
      expect(stored.get(projectId)).toMatchObject({ writers: 0, aggregate: { projectId } });
      expect(stored.get(projectId)?.dirtySince).toBeUndefined();
    }
  });
});
