import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { type AggregateRules, buildAggregate } from '../../../shared/domain/hourly-aggregate.ts';
import type { WorkItem } from '../../../shared/domain/work-item.ts';
import { readProjectTallies } from '../../../shared/hourly/project-tallies.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { AGGREGATE_NUMBER } from '../../../shared/store/project-aggregates-store.ts';
import { WorkItemsStore } from '../../../shared/store/work-items-store.ts';
import { storedBug } from '../../support/hourly.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());

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
        UpdateExpression: 'ADD writers :one, changes :one SET dirtySince = :began',
        ExpressionAttributeValues: { ':one': 1, ':began': '2026-11-28T12:10:00.000Z' },
      }),
    );
    await runtime.stores.items.upsert([critical(2)]);

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
});
