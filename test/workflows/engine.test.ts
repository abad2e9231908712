import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runsTable } from '../../lib/cli/format.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { JobRun } from '../../shared/domain/job-run.ts';
import { alarmedMetric, captureEmf } from '../support/emf.ts';
import { namedError, startTestRuntime } from '../support/local-runtime.ts';
import { buildTestApp } from '../support/synth.ts';

const SLOT = new Date('2026-11-28T02:00:00Z');
const NEXT_SLOT = new Date('2026-11-29T02:00:00Z');
const fast = { retryIntervalMs: 0 };

let runtime: LocalRuntime;
const emf = captureEmf();
beforeAll(async () => {
  runtime = await startTestRuntime({ environment: { POWERTOOLS_METRICS_DISABLED: 'false' } });
});
afterAll(async () => runtime?.close());
beforeEach(async () => runtime.reset());

describe('a scheduled run of the synthesized daily state machine', () => {
  it('records a completed run with its steps, duration and totals', async () => {
    const states: string[] = [];
    const result = await runtime.runJob('daily', { ...fast, at: SLOT, onStateEvent: (line) => states.push(line) });

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(states).toEqual([
      '→ Start Run',
      '→ Run or Skip?',
      '→ List Projects',
      '→ Sync Each Project',
      '→ Summarize Sync',
      '→ Clean Up Old Logs',
      '→ Record Success',
      '→ Run Completed',
    ]);
    expect(result.run).toMatchObject({
      runId: 'daily_sync#2026-11-28T02:00:00Z',
      jobType: 'daily_sync',
      trigger: 'schedule',
      status: 'completed',
      scheduledTime: '2026-11-28T02:00:00Z',
      executionArn: result.execution.executionArn,
      attempts: 1,
      recordsProcessed: 0,
      recordsFailed: 0,
    });
    expect(result.run!.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(result.run!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(result.run!.startedAt!));
    const events = await runtime.stores.events.listForRun(result.run!.runId);
    expect(events.map((event) => event.eventType)).toEqual(['job', 'cleanup', 'job']);
  });

  it('runs the work once when the same slot is delivered twice, and shows the duplicate', async () => {
    let cleanups = 0;
    const countCleanups = (state: string) => {
      if (state === 'Clean Up Old Logs') cleanups++;
    };
    const first = await runtime.runJob('daily', { ...fast, at: SLOT, beforeTask: countCleanups });
    const second = await runtime.runJob('daily', { ...fast, at: SLOT, beforeTask: countCleanups });

    expect(second.execution.status).toBe('SUCCEEDED');
    expect(second.decision).toBe('duplicate');
    expect(cleanups).toBe(1);
    const runs = await runtime.stores.runs.listRecent({ jobType: 'daily_sync', limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ executionArn: first.execution.executionArn, status: 'completed', duplicateDeliveries: 1 });
    const messages = (await runtime.stores.events.listForRun(first.run!.runId)).map((event) => event.message);
    expect(messages.some((message) => message.includes(`duplicate delivery ignored (execution ${second.execution.executionArn})`))).toBe(
      true,
    );
  });

  it('runs the work once when two deliveries of the same slot arrive at the same time', async () => {
    let cleanups = 0;
    const countCleanups = (state: string) => {
      if (state === 'Clean Up Old Logs') cleanups++;
    };
    const results = await Promise.all([1, 2, 3].map(() => runtime.runJob('daily', { ...fast, at: SLOT, beforeTask: countCleanups })));

    expect(results.map((result) => result.execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(results.map((result) => result.decision).sort()).toEqual(['duplicate', 'duplicate', 'started']);
    expect(cleanups).toBe(1);
    expect(await runtime.stores.runs.listRecent({ jobType: 'daily_sync', limit: 10 })).toMatchObject([
      { status: 'completed', duplicateDeliveries: 2 },
    ]);
  });

  it('gives manual runs their own key, so they never collide with a schedule slot', async () => {
    const scheduled = await runtime.runJob('daily', { ...fast, at: SLOT });
    const manual = await runtime.runJob('daily', fast);

    expect(manual.run?.status).toBe('completed');
    expect(manual.run?.trigger).toBe('manual');
    expect(manual.run?.runId).not.toBe(scheduled.run?.runId);
  });

  it('skips a run that starts while another run of the same job is still running', async () => {
    let overlapping: Awaited<ReturnType<LocalRuntime['runJob']>> | undefined;
    const first = await runtime.runJob('daily', {
      ...fast,
      at: SLOT,
      beforeTask: async (state) => {
        if (state === 'Clean Up Old Logs' && !overlapping) overlapping = await runtime.runJob('daily', { ...fast, at: NEXT_SLOT });
      },
    });

    expect(overlapping?.execution.status).toBe('SUCCEEDED');
    expect(overlapping?.decision).toBe('skipped');
    expect(overlapping?.run).toMatchObject({ status: 'skipped', durationMs: 0 });
    expect(overlapping?.run?.summary).toContain(`${first.run!.runId} is still running`);
    expect(first.run?.status).toBe('completed');
    // The lock was released: the next slot now runs.
    expect((await runtime.runJob('daily', { ...fast, at: NEXT_SLOT })).decision).toBe('duplicate');
    expect((await runtime.runJob('daily', { ...fast, at: new Date('2026-11-30T02:00:00Z') })).run?.status).toBe('completed');
  });

  it('lets a new run take over the lock of a crashed run after the job timeout, marking that run timed out', async () => {
    const crashed = stuckRun('daily_sync#2026-11-27T02:00:00Z', new Date(Date.now() - 10 * 60_000));
    await runtime.stores.runs.recordRun(crashed);
    await runtime.stores.runs.acquireLock('daily_sync', crashed.runId, Date.now() - 60_000, Date.now() - 10 * 60_000);

    const result = await runtime.runJob('daily', { ...fast, at: SLOT });

    expect(result.run?.status).toBe('completed');
    expect(await runtime.stores.runs.get(crashed.runId)).toMatchObject({ status: 'timeout', errorName: 'RunTimedOut' });
  });

  it('retries a task that fails twice with a Lambda service error and records the attempts', async () => {
    const states: string[] = [];
    const { result, attempts } = await runFailingCleanup(namedError('Lambda.ServiceException', 'Lambda was unavailable'), 2, {
      onStateEvent: (line) => states.push(line),
    });

    expect(attempts).toEqual([1, 2, 3]);
    expect(states.filter((line) => line === '↻ Clean Up Old Logs retried')).toHaveLength(2);
    expect(result.run).toMatchObject({ status: 'completed', attempts: 3 });
  });

  it('retries throttling (Lambda.TooManyRequestsException) too', async () => {
    const { result } = await runFailingCleanup(namedError('Lambda.TooManyRequestsException'), 1);
    expect(result.run).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('fails at once, without retries, on a non-recoverable domain error and records it', async () => {
    const { result, attempts } = await runFailingCleanup(namedError('ConfigError', 'retention.logDays "abc" is not a number'));

    expect(attempts).toEqual([1]);
    expect(result.execution).toMatchObject({ status: 'FAILED', error: 'ConfigError' });
    expect(result.run).toMatchObject({
      status: 'failed',
      errorName: 'ConfigError',
      errorMessage: 'retention.logDays "abc" is not a number',
    });
    // The lock was released with the failure: the next slot runs.
    expect((await runtime.runJob('daily', { ...fast, at: NEXT_SLOT })).run?.status).toBe('completed');
  });

  it("records a task failure as '<Name>: <message>' while Step Functions sees the function error AWS-shaped", async () => {
    const { result } = await runFailingCleanup(namedError('ConfigError', 'retention.logDays "abc" is not a number'));

    // The execution's cause, copied by Run Failed from the caught error, is the Lambda runtime's JSON.
    const cause = JSON.parse(result.execution.cause!) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause).toMatchObject({ errorType: 'ConfigError', errorMessage: 'retention.logDays "abc" is not a number' });
    expect(cause.trace.length).toBeGreaterThan(1);
    // JobHistory, its SyncEvents and the CLI read only the message.
    expect(result.run).toMatchObject({ errorName: 'ConfigError', errorMessage: 'retention.logDays "abc" is not a number' });
    const events = await runtime.stores.events.listForRun(result.run!.runId);
    expect(events.at(-1)?.message).toMatch(/^run failed after \d+ ms: ConfigError: retention.logDays "abc" is not a number$/);
    expect(runsTable([result.run!])).toContain('ConfigError: retention.logDays "abc" is not a number');
    expect(runsTable([result.run!])).not.toMatch(/errorType|trace|\.ts:\d+/);
  });

  it("summarizes an optional step's failure as 'failed: <Name>: <message>', without the JSON cause", async () => {
    const result = await runtime.runJob('weekly', {
      ...fast,
      at: SLOT,
      beforeTask: (state) => {
        if (state === 'Archive Records') throw namedError('InvalidDataError', 'the archive hit a wall');
      },
    });

    expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 1 });
    expect(result.run!.summary!.split('; ')).toContain('archive: failed: InvalidDataError: the archive hit a wall');
    expect(result.run!.summary).not.toMatch(/errorType|trace|\{/);
  });

  it('gives up on a transient error after 3 attempts and records the failure', async () => {
    const { result, attempts } = await runFailingCleanup(namedError('TransientError', 'DynamoDB kept throttling'));
    expect(attempts).toEqual([1, 2, 3]);
    expect(result.run).toMatchObject({ status: 'failed', errorName: 'TransientError', errorMessage: 'DynamoDB kept throttling' });
  });

  it('marks a run timed out through the reconciler when the state machine times out (no Catch runs)', async () => {
    const result = await runtime.runJob('daily', {
      ...fast,
      at: SLOT,
      patchDefinition: (definition) => ({ ...definition, TimeoutSeconds: 1 }),
      beforeTask: async (state) => {
        if (state === 'Clean Up Old Logs') await new Promise((resolve) => setTimeout(resolve, 2_000));
      },
    });

    expect(result.execution.status).toBe('TIMED_OUT');
    expect(result.run).toMatchObject({ status: 'timeout', errorName: 'States.Timeout' });
    expect(result.run!.durationMs).toBeGreaterThanOrEqual(1_000);
    expect((await runtime.runJob('daily', { ...fast, at: NEXT_SLOT })).run?.status).toBe('completed');
  });
});

describe('the hourly stuck-run sweep', () => {
  it('marks runs still running past the job timeout as timed out, and leaves recent ones alone', async () => {
    const stuck = stuckRun('daily_sync#2026-11-28T01:00:00Z', new Date(Date.now() - 20 * 60_000));
    const recent = stuckRun('weekly_report#2026-11-28T01:00:00Z', new Date(Date.now() - 60_000));
    for (const run of [stuck, recent]) {
      await runtime.stores.runs.recordRun(run);
      await runtime.stores.runs.acquireLock(run.jobType, run.runId, Date.now() + 60 * 60_000, Date.now());
    }

    const result = await runtime.runJob('hourly', { ...fast, at: SLOT });

    expect(result.run).toMatchObject({ status: 'completed', summary: expect.stringContaining('sweep: 1 stuck run(s) marked timed out') });
    expect(await runtime.stores.runs.get(stuck.runId)).toMatchObject({ status: 'timeout', errorName: 'RunTimedOut' });
    expect(await runtime.stores.runs.get(recent.runId)).toMatchObject({ status: 'running' });
    // The stuck run's lock was freed; the recent run keeps its lock.
    expect((await runtime.runJob('daily', { ...fast, at: SLOT })).run?.status).toBe('completed');
    expect((await runtime.runJob('weekly', { ...fast, at: SLOT })).run?.status).toBe('skipped');
  });
});

describe('the failure streak that pages on-call (the daily_sync Failing alarm)', () => {
  // What the alarm reads, from the synthesized template: a renamed metric or dimension on either side fails.
  const failing = alarmedMetric(Template.fromStack(buildTestApp().stack), 'dailysyncFailing');
  const streaks = () => emf.published(failing.metricName).filter((datum) => datum.dimensions.JobType === 'daily_sync');

  it('is published by Record Failure when a run fails, counts failures in a row, and drops to 0 when a run succeeds', async () => {
    const failCleanup = (state: string) => {
      if (state === 'Clean Up Old Logs') throw namedError('ConfigError', 'retention.logDays "abc" is not a number');
    };
    const states: string[] = [];

    await runtime.runJob('daily', { ...fast, at: SLOT, beforeTask: failCleanup, onStateEvent: (line) => states.push(line) });
    expect(states).toContain('→ Record Failure');
    expect(streaks()).toEqual([{ ...failing, value: 1 }]);

    await runtime.runJob('daily', { ...fast, at: NEXT_SLOT, beforeTask: failCleanup });
    expect(streaks().at(-1)).toEqual({ ...failing, value: 2 });

    await runtime.runJob('daily', { ...fast, at: new Date('2026-11-30T02:00:00Z') });
    expect(streaks().at(-1)).toEqual({ ...failing, value: 0 });
  });

  it('is published by the reconciler when the execution times out (no Catch, so no Record Failure)', async () => {
    const states: string[] = [];
    const result = await runtime.runJob('daily', {
      ...fast,
      at: SLOT,
      onStateEvent: (line) => states.push(line),
      patchDefinition: (definition) => ({ ...definition, TimeoutSeconds: 1 }),
      beforeTask: async (state) => {
        if (state === 'Clean Up Old Logs') await new Promise((resolve) => setTimeout(resolve, 2_000));
      },
    });

    expect(result.execution.status).toBe('TIMED_OUT');
    expect(states).not.toContain('→ Record Failure');
    expect(streaks()).toEqual([{ ...failing, value: 1 }]);
  });

  it('is published by the hourly sweep when it times out runs whose end went unrecorded, once per job with the whole streak', async () => {
    // Two daily runs whose executions ended without a status-change event reaching the reconciler.
    for (const runId of ['daily_sync#2026-11-26T02:00:00Z', 'daily_sync#2026-11-27T02:00:00Z']) {
      await runtime.stores.runs.recordRun(stuckRun(runId, new Date(Date.now() - 20 * 60_000)));
    }

    const result = await runtime.runJob('hourly', { ...fast, at: SLOT });

    expect(result.run?.summary).toContain('sweep: 2 stuck run(s) marked timed out');
    expect(streaks()).toEqual([{ ...failing, value: 2 }]);
  });
});

describe('the daily cleanup', () => {
  it('deletes only sync events older than 30 days before the run', async () => {
    const day = 86_400_000;
    const at = (ms: number) => new Date(SLOT.getTime() - ms).toISOString();
    const seeded = {
      '31 days': at(31 * day),
      '30 days and 1 s': at(30 * day + 1000),
      '29 days': at(29 * day),
      '1 hour': at(3_600_000),
    };
    for (const [label, timestamp] of Object.entries(seeded)) {
      await runtime.stores.events.append({ runId: 'seed', timestamp, eventType: 'github_sync', level: 'info', message: label });
    }

    const result = await runtime.runJob('daily', { ...fast, at: SLOT });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 2 });
    const left = (await runtime.stores.events.listForRun('seed')).map((event) => event.message);
    expect(left.sort()).toEqual(['1 hour', '29 days']);
  });
});

/** Runs the daily job with "Clean Up Old Logs" throwing `error` on its first `failures` attempts. */
async function runFailingCleanup(error: Error, failures = Infinity, options: { onStateEvent?: (line: string) => void } = {}) {
  const attempts: number[] = [];
  const result = await runtime.runJob('daily', {
    ...fast,
    ...options,
    at: SLOT,
    beforeTask: (state, attempt) => {
      if (state !== 'Clean Up Old Logs') return;
      attempts.push(attempt);
      if (attempt <= failures) throw error;
    },
  });
  return { result, attempts };
}

function stuckRun(runId: string, startedAt: Date): JobRun {
  const [jobType, scheduledTime] = runId.split('#') as [JobRun['jobType'], string];
  return {
    runId,
    jobType,
    trigger: 'schedule',
    status: 'running',
    scheduledTime,
    executionArn: `arn:aws:states:local-1:000000000000:execution:crashed:${jobType}`,
    createdAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
  };
}
