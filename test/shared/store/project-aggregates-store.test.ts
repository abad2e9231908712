import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { workItemsWriter } from '../../../shared/dependencies.ts';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { type AggregateRules, buildAggregate } from '../../../shared/domain/hourly-aggregate.ts';
import type { WorkItem } from '../../../shared/domain/work-item.ts';
import { ENV } from '../../../shared/environment.ts';
import { readProjectTallies } from '../../../shared/hourly/project-tallies.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { AGGREGATE_NUMBER, CRASHED_WRITER_MS, writerCrashed } from '../../../shared/store/project-aggregates-store.ts';
import { WorkItemsStore } from '../../../shared/store/work-items-store.ts';
import { storedBug } from '../../support/hourly.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
afterEach(() => vi.unstubAllEnvs());

const PROJECT = 'acme/api';
const rules: AggregateRules = { ...DEFAULT_BUG_RULES, slaBreachSeverities: ['critical', 'high'], unassignedSeverities: ['critical'] };
const writtenAt = new Date('2026-11-28T12:00:00Z');
/** A writer as the sync and the webhook consumer are, rebuilding with the rules, at a fixed time. */
const writer = (clock = () => writtenAt) =>
  new WorkItemsStore(documentClient, runtime.stores.items.tableName, { aggregateRules: rules, clock });
const critical = (number: number, fields: Partial<Parameters<typeof storedBug>[2]> = {}): WorkItem =>
  storedBug(PROJECT, number, { severity: 'critical', createdAt: '2026-11-28T01:00:00Z', revenueImpact: 100, ...fields });

/** Runs `meanwhile` when `act` first writes an item (not the aggregate's counters). */
async function whenItemsAreWritten<T>(meanwhile: () => Promise<unknown>, act: () => Promise<T>): Promise<T> {
  let armed = true;
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (armed && /^(Put|BatchWrite)(Item)?Command$/.test(context.commandName ?? '')) {
        armed = false;
        await meanwhile();
      }
      return next(args);
    },
    { step: 'initialize', name: 'itemsWrittenMeanwhile' },
  );
  try {
    const result = await act();
    expect(armed, 'the write meanwhile was made').toBe(false);
    return result;
  } finally {
    documentClient.middlewareStack.remove('itemsWrittenMeanwhile');
  }
}

/** Counts the strongly consistent Queries of WorkItems (a rebuild's read of a project) that `act` sends. */
async function countRebuildReads(act: () => Promise<unknown>): Promise<number> {
  let reads = 0;
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; ConsistentRead?: boolean };
      if (context.commandName === 'QueryCommand' && input.TableName === runtime.stores.items.tableName && input.ConsistentRead) reads++;
      return next(args);
    },
    { step: 'initialize', name: 'countRebuildReads' },
  );
  try {
    await act();
    return reads;
  } finally {
    documentClient.middlewareStack.remove('countRebuildReads');
  }
}

/** A write that begins at `began` and stays in flight until `finish` is called (never, for one that crashed). */
function writeInFlight(began: Date) {
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let markBegun = () => {};
  const begun = new Promise<void>((resolve) => {
    markBegun = resolve;
  });
  const ended = writer(() => began).aggregates.aroundWrites(async (begin) => {
    await begin([PROJECT]);
    markBegun();
    await finished;
  });
  return {
    begun,
    finish: async () => {
      finish();
      await ended;
    },
  };
}

const storedAggregate = async () => (await runtime.stores.items.aggregates.getMany([PROJECT])).get(PROJECT);
const recount = async (at: Date) => {
  const { openBugs, closures } = await runtime.stores.items.aggregates.readProject(PROJECT, at);
  return buildAggregate(PROJECT, openBugs, closures, at, rules);
};

describe('project aggregates upkeep', () => {
  it('is rebuilt by the last of two interleaved writers, with both writes in it', async () => {
    const [first, second] = [writer(), writer()];

    await whenItemsAreWritten(
      () => second.upsert([critical(2, { assignees: ['dev'] })]),
      () => first.upsert([critical(1)]),
    );

    const stored = await storedAggregate();
    expect(stored).toMatchObject({ writers: 0, changes: 4 });
    expect(stored?.dirtySince).toBeUndefined();
    expect(stored?.aggregate).toEqual(await recount(writtenAt));
    expect(stored?.aggregate?.tally).toMatchObject({ openBugs: 2, revenueMicros: 200e6, unassignedCritical: 1 });
  });

  it('refuses an hourly run its move forward when a writer began after it read the aggregate, and keeps the writer\u2019s', async () => {
    await writer().upsert([critical(1)]);
    const read = await storedAggregate();

    await writer(() => new Date('2026-11-28T12:30:00Z')).putIfNewer(
      critical(1, { assignees: ['dev'], updatedAt: '2026-11-28T12:29:00Z' }),
    );
    const refused = await runtime.stores.items.aggregates.put({ ...read!.aggregate!, at: '2026-11-28T13:00:00.000Z' }, read);

    expect(refused).toBe(false);
    expect((await storedAggregate())?.aggregate).toEqual(await recount(new Date('2026-11-28T12:30:00Z')));
  });

  it('reads a project in full while a writer is in flight, and rebuilds it once that writer is taken for crashed', async () => {
    await writer().upsert([critical(1)]);
    // A writer began and died before its end: its counters stay up.
    await documentClient.send(
      new UpdateCommand({
        TableName: runtime.stores.items.tableName,
        Key: { projectId: PROJECT, number: AGGREGATE_NUMBER },
        UpdateExpression: 'ADD writers :one, changes :one SET dirtySince = :began, lastBegan = :began',
        ExpressionAttributeValues: { ':one': 1, ':began': '2026-11-28T12:10:00.000Z' },
      }),
    );
    // Another writer (no rules: it leaves the rebuild to the hourly job) begins and ends at 12:12.
    await new WorkItemsStore(documentClient, runtime.stores.items.tableName, { clock: () => new Date('2026-11-28T12:12:00Z') }).upsert([
      critical(2),
    ]);

    const inFlight = await readProjectTallies(runtime.stores.items, [PROJECT], new Date('2026-11-28T12:20:00Z'), rules);
    expect(inFlight.paths).toEqual({ aggregate: 0, advanced: 0, full: 1 });
    expect(inFlight.tallies.get(PROJECT)).toEqual((await recount(new Date('2026-11-28T12:20:00Z'))).tally);
    expect((await storedAggregate())?.writers).toBe(1);

    const crashed = await readProjectTallies(runtime.stores.items, [PROJECT], new Date('2026-11-28T12:30:00Z'), rules);
    await crashed.storeAggregates();
    expect(crashed.paths).toEqual({ aggregate: 0, advanced: 0, full: 1 });
    expect(crashed.tallies.get(PROJECT)).toMatchObject({ openBugs: 2, unassignedCritical: 2 });
    expect(await storedAggregate()).toMatchObject({ writers: 0, aggregate: await recount(new Date('2026-11-28T12:30:00Z')) });

    const next = await readProjectTallies(runtime.stores.items, [PROJECT], new Date('2026-11-28T13:30:00Z'), rules);
    expect(next.paths).toEqual({ aggregate: 1, advanced: 0, full: 0 });
    expect(next.itemsRead).toBe(1);
    // Its figures are those of the snapshot written at 12:30 (recorded by storeAggregates): none is due at 13:30.
    expect(next.snapshotted).toEqual(new Set([PROJECT]));
  });

  it('is deleted with the project\u2019s items, and left out of their listing and count', async () => {
    await writer().upsert([critical(1), critical(2)]);

    expect(await runtime.stores.items.countForProject(PROJECT)).toBe(2);
    expect((await runtime.stores.items.listForProject(PROJECT)).map((item) => item.number)).toEqual([1, 2]);
    expect(await runtime.stores.items.deleteForProject(PROJECT)).toBe(2);
    expect(await storedAggregate()).toBeUndefined();
  });

  it('times a crashed writer from the last begin, so a live writer on a project written every few minutes is not taken over', async () => {
    const at = (minutes: number) => new Date(Date.parse('2026-11-28T12:00:00Z') + minutes * 60_000);
    await writer(() => at(0)).upsert([critical(1)]);
    // 12:01: a writer begins and dies. Deliveries keep coming, each a write begun and ended, every 4 minutes.
    await writeInFlight(at(1)).begun;
    for (const minutes of [5, 9, 13]) {
      await writer(() => at(minutes)).putIfNewer(critical(1, { assignees: [`dev${minutes}`], updatedAt: at(minutes).toISOString() }));
    }
    // 12:17: one more begins, and is still writing at 12:20.
    const live = writeInFlight(at(17));
    await live.begun;

    const whileLive = (await storedAggregate())!;
    expect(whileLive).toMatchObject({ writers: 2, dirtySince: at(1).toISOString(), lastBegan: at(17).toISOString() });
    expect(at(20).getTime() - Date.parse(whileLive.dirtySince!)).toBeGreaterThan(CRASHED_WRITER_MS);
    expect(writerCrashed(whileLive, at(20))).toBe(false);

    await live.finish();
    const afterLive = (await storedAggregate())!;
    expect(afterLive.writers).toBe(1);
    expect(writerCrashed(afterLive, at(32))).toBe(false);
    expect(writerCrashed(afterLive, at(33))).toBe(true);
  });

  it('begins and ends a write of many upserts once, and rebuilds the aggregate once, after the last', async () => {
    const rebuildReads = await countRebuildReads(() =>
      writer().writing(async (items) => {
        await items.upsert([critical(1)]);
        await items.upsert([critical(2), critical(3)]);
        await items.putIfNewer(critical(4, { assignees: ['dev'] }));
      }),
    );

    expect(rebuildReads).toBe(1);
    const stored = await storedAggregate();
    expect(stored).toMatchObject({ writers: 0, changes: 2 });
    expect(stored?.aggregate).toEqual(await recount(writtenAt));
    expect(stored?.aggregate?.tally).toMatchObject({ openBugs: 4, unassignedCritical: 3 });
  });

  it('leaves the aggregate alone when a write changes nothing', async () => {
    await writer().upsert([critical(1)]);
    const before = await storedAggregate();

    const rebuildReads = await countRebuildReads(() => writer().writing((items) => items.upsert([critical(1)])));

    expect(rebuildReads).toBe(0);
    expect(await storedAggregate()).toEqual(before);
  });

  it('rewrites the unchanged items of a relabelling as one write, keeping the one GitHub changed since it was read', async () => {
    await writer().upsert([critical(1), critical(2)]);
    const relabelled = [critical(1, { title: 'Relabelled' }), critical(2, { title: 'Relabelled' })];
    await runtime.stores.items.putIfNewer(critical(2, { title: 'Edited on GitHub', updatedAt: '2026-11-28T11:00:00Z' }));
    const { changes } = (await storedAggregate())!;

    const written = await writer().replaceAllIfUnchanged(relabelled);

    expect(written).toBe(1);
    expect((await runtime.stores.items.listForProject(PROJECT)).map((item) => item.title)).toEqual(['Relabelled', 'Edited on GitHub']);
    expect(await storedAggregate()).toMatchObject({ writers: 0, changes: changes + 2, aggregate: await recount(writtenAt) });
  });

  it('counts every item a rebuild reads, pull requests and old closures too: DynamoDB reads them before the filter', async () => {
    const { severity: _severity, revenueImpact: _revenue, ...item } = critical(3);
    const pullRequest: WorkItem = { ...item, kind: 'pull_request', labels: [] };
    await writer().upsert([critical(1), critical(2, { closedAt: '2026-10-01T00:00:00Z' }), pullRequest]);

    const { aggregate, itemsRead } = await runtime.stores.items.aggregates.recount(PROJECT, writtenAt, rules);

    expect(aggregate.tally.openBugs).toBe(1);
    expect(itemsRead).toBe(3);
  });

  it('is counted by the functions\u2019 writers at the local clock a bench sets, and refuses an offset that is not whole ms', async () => {
    const simulated = Date.parse('2026-11-28T12:00:00Z');
    vi.stubEnv(ENV.localClockOffsetMs, String(simulated - Date.now()));

    await workItemsWriter().upsert([critical(1)]);

    const countedAt = Date.parse((await storedAggregate())!.aggregate!.at);
    expect(countedAt).toBeGreaterThanOrEqual(simulated);
    expect(countedAt).toBeLessThan(simulated + 60_000);
    vi.stubEnv(ENV.localClockOffsetMs, '1.5');
    await expect(workItemsWriter().upsert([critical(2)])).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(ENV.localClockOffsetMs),
    });
  });

  it('is not taken over by the hourly job while a writer is in flight on a project written every few minutes', async () => {
    const at = (minutes: number) => new Date(Date.parse('2026-11-28T12:00:00Z') + minutes * 60_000);
    await writer(() => at(0)).upsert([critical(1)]);
    await writeInFlight(at(1)).begun; // and dies
    for (const minutes of [5, 9, 13]) {
      await writer(() => at(minutes)).putIfNewer(critical(1, { assignees: [`dev${minutes}`], updatedAt: at(minutes).toISOString() }));
    }
    const live = writeInFlight(at(17));
    await live.begun;

    const whileLive = await readProjectTallies(runtime.stores.items, [PROJECT], at(20), rules);
    await whileLive.storeAggregates();
    await live.finish();

    expect(whileLive.paths).toEqual({ aggregate: 0, advanced: 0, full: 1 });
    expect(await storedAggregate()).toMatchObject({ writers: 1, lastBegan: at(17).toISOString() });

    const takenOver = await readProjectTallies(runtime.stores.items, [PROJECT], at(33), rules);
    await takenOver.storeAggregates();
    expect(await storedAggregate()).toMatchObject({ writers: 0, aggregate: await recount(at(33)) });
  });
});
