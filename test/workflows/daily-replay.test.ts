import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { addProjects, fast, generateIssues, useDailyRuntime } from '../support/daily.ts';

const DAY = 86_400_000;
const D = Date.parse('2026-12-10T02:00:00Z');
const day = (n: number) => new Date(D + n * DAY);

const { github, runtime } = await useDailyRuntime([
  {
    fullName: 'acme/api',
    id: 1,
    issues: [
      ...generateIssues(10),
      // Opened after the replayed day, before the latest run: unknown to the replay.
      ...generateIssues(2, Date.parse('2026-12-08T12:00:00Z'), (n) => ({ number: 10 + n, labels: ['bug', 'P0'], assignees: [] })),
    ],
  },
]);
// The runtime points the SDK's environment at the embedded DynamoDB.
const tables = DynamoDBDocumentClient.from(new DynamoDBClient({}));
afterAll(() => tables.destroy());

/** Every item of the Alerts table (alert states, outbox, evaluation marks), in key order. */
const alertsTable = async () =>
  ((await tables.send(new ScanCommand({ TableName: runtime.stores.alerts.tableName }))).Items ?? []).sort((a, b) =>
    String(a.alertKey).localeCompare(String(b.alertKey)),
  );
const projectsState = async () => Promise.all(['acme/api', 'acme/gone'].map((id) => runtime.stores.projects.get(id)));

describe('a replay of an earlier day, through the synthesized state machine', () => {
  it('computes its snapshot as of its own day, syncs nothing and changes no project, item or alert state', async () => {
    // acme/gone has no repository: the current run starts its failure streak.
    await addProjects(runtime, 'acme/api', 'acme/gone');
    const current = await runtime.runJob('daily', { ...fast, at: day(0) });
    expect(current.run?.summary).toContain('sync: 1 of 2 project(s) synced, 1 failed (acme/gone)');
    // A change GitHub holds since: a sync by the replay would store it.
    const repository = github.repository('acme/api');
    repository.issues.push({
      ...repository.issues[0]!,
      number: 13,
      created_at: '2026-12-10T03:00:00Z',
      updated_at: '2026-12-10T03:00:00Z',
    });
    const itemsBefore = await runtime.stores.items.listForProject('acme/api');
    const projectsBefore = await projectsState();
    const alertsBefore = await alertsTable();
    expect(projectsBefore[1]?.failure).toMatchObject({ consecutiveRuns: 1 });
    github.clearRequests();

    const replay = await runtime.runJob('daily', { ...fast, at: day(-3) });

    expect(replay.run).toMatchObject({ status: 'completed', recordsProcessed: 0, recordsFailed: 0 });
    expect(github.requests).toEqual([]);
    expect(await runtime.stores.items.listForProject('acme/api')).toEqual(itemsBefore);
    expect(await projectsState()).toEqual(projectsBefore);
    expect(await alertsTable()).toEqual(alertsBefore);
    const replayed = await runtime.stores.snapshots.getDaily('acme/api', '2026-12-07');
    expect(replayed).toMatchObject({ asOf: day(-3).toISOString(), openBugs: { critical: 0 }, unassignedCritical: 0 });
    expect(await runtime.stores.snapshots.getDaily('acme/api', '2026-12-10')).toMatchObject({ openBugs: { critical: 2 } });
    const apiScore = replayed?.health.score;
    const goneScore = (await runtime.stores.snapshots.getDaily('acme/gone', '2026-12-07'))?.health.score;
    expect(replay.run?.summary).toContain(
      `sync: replay of ${day(-3).toISOString()} (the daily job last ran for ${day(0).toISOString()}): nothing synced, ` +
        `project state unchanged; health of 2 project(s) as of then: acme/api ${apiScore}, acme/gone ${goneScore}`,
    );
  });

  it('syncs again as usual when the next day after the replay runs', async () => {
    await addProjects(runtime, 'acme/api');
    await runtime.runJob('daily', { ...fast, at: day(0) });
    await runtime.runJob('daily', { ...fast, at: day(-3) });
    github.clearRequests();

    const next = await runtime.runJob('daily', { ...fast, at: day(1) });

    expect(next.run?.summary).toContain('sync: 1 of 1 project(s) synced');
    expect(next.run?.summary).not.toContain('replay');
    expect(github.requests.filter((request) => request.path.startsWith('/repos/acme/api/issues'))).toHaveLength(1);
  });
});
