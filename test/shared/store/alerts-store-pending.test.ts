import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../shared/domain/alert-message.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const alerts = runtime.stores.alerts;
const at = '2026-12-01T10:00:00.000Z';
const purgeOf = (projectId: string) => `projects_purge#${at}#${projectId}`;
const pendingRunIds = async () => (await alerts.listPending()).map(({ runId, source, notification }) => [runId, source, !!notification]);

describe('AlertsStore: notifications queued outside a run', () => {
  it('lists each once, however often it is queued, with its run id holding #, until it is settled', async () => {
    await alerts.enqueue(digestOf(purgeOf('acme/web'), at, []), [], { outsideRun: true });
    await Promise.all([
      alerts.enqueue(digestOf(purgeOf('acme/api'), at, []), [], { outsideRun: true }),
      alerts.enqueue(digestOf(purgeOf('acme/api'), at, []), [], { outsideRun: true }),
    ]);

    expect(await pendingRunIds()).toEqual([
      [purgeOf('acme/api'), 'bugs', true],
      [purgeOf('acme/web'), 'bugs', true],
    ]);
    await alerts.settlePending(purgeOf('acme/api'), 'bugs');
    expect(await pendingRunIds()).toEqual([[purgeOf('acme/web'), 'bugs', true]]);
    await alerts.settlePending(purgeOf('acme/web'), 'bugs');
    expect(await alerts.listPending()).toEqual([]);
  });

  it("lists no run's own notification", async () => {
    await alerts.enqueue(digestOf(`hourly_metrics#${at}`, at, []), []);

    expect(await alerts.listPending()).toEqual([]);
  });

  it('lists one whose notification expired without it, so that it can be settled', async () => {
    await alerts.enqueue(digestOf(purgeOf('acme/api'), at, []), [], { outsideRun: true });
    const Key = { alertKey: `notification#${purgeOf('acme/api')}#bugs` };
    await documentClient.send(new DeleteCommand({ TableName: alerts.tableName, Key }));

    expect(await pendingRunIds()).toEqual([[purgeOf('acme/api'), 'bugs', false]]);
  });
});

describe('AlertsStore.claimEvaluation', () => {
  it("claims the daily job's evaluations beside the alert sources', each its own latest", async () => {
    expect(await alerts.claimEvaluation('daily', new Date('2026-12-01T02:00:00Z'))).toEqual({ replay: false });
    expect(await alerts.claimEvaluation('bugs', new Date('2026-12-01T01:00:00Z'))).toEqual({ replay: false });

    expect(await alerts.claimEvaluation('daily', new Date('2026-11-30T02:00:00Z'))).toEqual({
      replay: true,
      latest: '2026-12-01T02:00:00.000Z',
    });
    expect(await alerts.latestEvaluation('daily')).toBe('2026-12-01T02:00:00.000Z');
    expect(await alerts.latestEvaluation('bugs')).toBe('2026-12-01T01:00:00.000Z');
    expect(await alerts.latestEvaluation('jobs')).toBeUndefined();
  });
});
