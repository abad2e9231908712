import { describe, expect, it } from 'vitest';
import { useHandler } from '../../support/local-runtime.ts';

const { runtime, handler } = await useHandler('lambdas/engine/finish-run.ts');

async function timedOutRun() {
  const result = await runtime.runJob('daily', {
    at: new Date('2026-11-28T02:00:00Z'),
    retryIntervalMs: 0,
    patchDefinition: (definition) => ({ ...definition, TimeoutSeconds: 1 }),
    beforeTask: async (state) => {
      if (state === 'Clean Up Old Logs') await new Promise((resolve) => setTimeout(resolve, 1_500));
    },
  });
  expect(result.run?.status).toBe('timeout');
  return result;
}

describe('the finish-run handler', () => {
  it('lets a redriven execution complete the run the reconciler had closed, and marks it as a redrive', async () => {
    const { run, execution } = await timedOutRun();

    await handler({
      runId: run!.runId,
      jobType: 'daily_sync',
      executionArn: execution.executionArn,
      redriveCount: 1,
      outcome: 'completed',
      results: { cleanup: { recordsProcessed: 4, recordsFailed: 0, summary: '4 deleted', attempt: 1 } },
    });

    expect(await runtime.stores.runs.get(run!.runId)).toMatchObject({
      status: 'completed',
      trigger: 'redrive',
      redriveCount: 1,
      recordsProcessed: 4,
      summary: 'cleanup: 4 deleted',
    });
  });

  it("reads AWS-shaped errors: a function error's message without its JSON, a task timeout's empty cause", async () => {
    const { run, execution } = await timedOutRun();
    const functionError = {
      Error: 'InvalidDataError',
      Cause: JSON.stringify({
        errorType: 'InvalidDataError',
        errorMessage: 'the archive hit a wall',
        trace: ['InvalidDataError: the archive hit a wall', '    at archive (file:///var/task/index.mjs:1:1)'],
      }),
    };

    await handler({
      runId: run!.runId,
      jobType: 'daily_sync',
      executionArn: execution.executionArn,
      redriveCount: 1,
      outcome: 'failed',
      results: { archive: { recordsProcessed: 0, recordsFailed: 1, attempt: 1, error: functionError } },
      error: { Error: 'States.Timeout', Cause: '' },
    });

    expect(await runtime.stores.runs.get(run!.runId)).toMatchObject({
      status: 'failed',
      summary: 'archive: failed: InvalidDataError: the archive hit a wall',
      errorName: 'States.Timeout',
      errorMessage: 'the state ran longer than its TimeoutSeconds',
    });
  });

  it('records the projects a run deferred for a rate limit on its row, and the skip with its reason in SyncEvents', async () => {
    const { run, execution } = await timedOutRun();
    const summary = { recordsProcessed: 3, recordsFailed: 0, summary: '1 of 3 project(s) synced, 2 deferred', attempt: 1 };

    await handler({
      runId: run!.runId,
      jobType: 'daily_sync',
      executionArn: execution.executionArn,
      redriveCount: 1,
      outcome: 'completed',
      results: {
        sync: { ...summary, rateLimitDeferrals: 2 },
        cleanup: { recordsProcessed: 4, recordsFailed: 0, summary: '4 deleted', attempt: 1 },
      },
    });

    expect(await runtime.stores.runs.get(run!.runId)).toMatchObject({ status: 'completed', rateLimitDeferrals: 2 });
    expect((await runtime.stores.events.listForRun(run!.runId)).map(({ level, message }) => [level, message])).toContainEqual([
      'warn',
      'skipped (rate-limit): 2 project(s) deferred to the next run for a GitHub rate limit',
    ]);
  });

  it('records no deferral on a run that deferred none', async () => {
    const { run, execution } = await timedOutRun();
    const results = { cleanup: { recordsProcessed: 4, recordsFailed: 0, summary: '4 deleted', attempt: 1, rateLimitDeferrals: 0 } };

    await handler({
      runId: run!.runId,
      jobType: 'daily_sync',
      executionArn: execution.executionArn,
      redriveCount: 1,
      outcome: 'completed',
      results,
    });

    expect(await runtime.stores.runs.get(run!.runId)).not.toHaveProperty('rateLimitDeferrals');
    expect((await runtime.stores.events.listForRun(run!.runId)).map(({ message }) => message)).not.toContainEqual(
      expect.stringContaining('rate-limit'),
    );
  });

  it('never writes over a run that belongs to another execution', async () => {
    const { run } = await timedOutRun();

    await handler({
      runId: run!.runId,
      jobType: 'daily_sync',
      executionArn: 'arn:aws:states:local-1:000000000000:execution:DailyJob:someone-else',
      outcome: 'completed',
    });

    expect((await runtime.stores.runs.get(run!.runId))?.status).toBe('timeout');
  });

  it('rejects input without a run id, naming the field', async () => {
    await expect(handler({ jobType: 'daily_sync', executionArn: 'arn:x', outcome: 'completed' })).rejects.toMatchObject({
      name: 'InvalidDataError',
      message: expect.stringContaining('runId'),
    });
  });
});
