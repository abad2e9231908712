import { describe, expect, it } from 'vitest';
import { useHandler } from '../../support/local-runtime.ts';

const { runtime, handler } = await useHandler('lambdas/engine/reconcile-execution.ts');

const statusChange = (detail: Record<string, unknown>) => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Daily:schedule-1',
    status: 'ABORTED',
    startDate: Date.parse('2026-11-28T02:00:01Z'),
    stopDate: Date.parse('2026-11-28T02:03:01Z'),
    input: JSON.stringify({ jobType: 'daily_sync', trigger: 'schedule', scheduledTime: '2026-11-28T02:00:00Z' }),
    error: null,
    cause: null,
    ...detail,
  },
});

describe('the reconcile-execution handler', () => {
  it('records an execution that was aborted before its first state recorded the run', async () => {
    const output = await handler(statusChange({}));

    expect(output).toEqual({ runId: 'daily_sync#2026-11-28T02:00:00Z', action: 'recorded' });
    expect(await runtime.stores.runs.get('daily_sync#2026-11-28T02:00:00Z')).toMatchObject({
      status: 'failed',
      errorName: 'ExecutionAborted',
      durationMs: 180_000,
      finishedAt: '2026-11-28T02:03:01.000Z',
    });
  });

  it('keeps the outcome a run already recorded', async () => {
    const completed = await runtime.runJob('daily', { at: new Date('2026-11-28T02:00:00Z'), retryIntervalMs: 0 });
    const output = await handler(statusChange({ executionArn: completed.execution.executionArn, status: 'FAILED' }));

    expect(output).toEqual({ runId: completed.run!.runId, action: 'unchanged' });
    expect((await runtime.stores.runs.get(completed.run!.runId))?.status).toBe('completed');
  });

  it('says when a redrive of a closed run ended without succeeding, leaving the run as it was', async () => {
    const failed = await runtime.runJob('daily', { at: new Date('2026-11-29T02:00:00Z'), retryIntervalMs: 0 });
    const runId = failed.run!.runId;
    const output = await handler(
      statusChange({
        executionArn: failed.execution.executionArn,
        status: 'TIMED_OUT',
        redriveCount: 2,
        input: JSON.stringify(failed.request),
      }),
    );

    expect(output).toEqual({ runId, action: 'redrive-ended' });
    expect((await runtime.stores.runs.get(runId))?.status).toBe('completed');
    const events = await runtime.stores.events.listForRun(runId);
    expect(events.find((event) => event.level === 'error')?.message).toBe(
      'redrive 2 ended as TIMED_OUT: States.Timeout: the execution ended as TIMED_OUT; redrive it again to go on',
    );
  });

  it('ignores executions whose input is not a job run request', async () => {
    expect(await handler(statusChange({ input: '{"hello":"world"}' }))).toEqual({ action: 'ignored' });
  });

  it('rejects a malformed event without retries, naming the bad field', async () => {
    await expect(handler(statusChange({ status: 'EXPLODED' }))).rejects.toMatchObject({
      name: 'InvalidDataError',
      message: expect.stringContaining('status:'),
    });
  });
});
