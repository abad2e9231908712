import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobRun, RunStatus } from '../../../shared/domain/job-run.ts';
import { finishRun } from '../../../shared/engine/finish-run.ts';
import { reconcileExecution } from '../../../shared/engine/reconcile-execution.ts';
import { publishRunOutcome } from '../../../shared/engine/run-metrics.ts';
import { sweepStuckRuns } from '../../../shared/engine/sweep-stuck-runs.ts';
import { jobMetrics, METRIC_NAMES } from '../../../shared/metrics.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { JOB_HISTORY_INDEXES } from '../../../shared/store/table-schemas.ts';
import { captureEmf } from '../../support/emf.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const runtime = await startTestRuntime({ environment: { POWERTOOLS_METRICS_DISABLED: 'false' } });
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const emf = captureEmf();
const { runs } = runtime.stores;
const metrics = jobMetrics();
const NOW = new Date('2026-11-28T03:00:00Z');

/** The daily failure streaks published in the current test. */
const streaks = () =>
  emf
    .published(METRIC_NAMES.consecutiveFailures)
    .filter((datum) => datum.dimensions.JobType === 'daily_sync')
    .map((datum) => datum.value);

function dailyRun(day: string, status: RunStatus): JobRun {
  const scheduledTime = `2026-11-${day}T02:00:00Z`;
  return {
    runId: `daily_sync#${scheduledTime}`,
    jobType: 'daily_sync',
    trigger: 'schedule',
    status,
    scheduledTime,
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Daily:schedule-${day}`,
    createdAt: scheduledTime,
    startedAt: scheduledTime,
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
  };
}

/**
 * Runs `act` while the byJobType index still answers as it stood before: in AWS a global secondary index
 * is updated eventually, so a run just closed can read as running there (dynalite's are up to date at once).
 */
async function withIndexBehind<T>(act: () => Promise<T>): Promise<T> {
  const before = new Map<string, Record<string, unknown>>();
  const index = JOB_HISTORY_INDEXES.byJobType;
  const answer = await documentClient.send(
    new QueryCommand({
      TableName: runs.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': 'daily_sync' },
    }),
  );
  for (const item of answer.Items ?? []) before.set(item.runId as string, item);
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const output = await next(args);
      if ((args.input as { IndexName?: string }).IndexName !== index.name) return output;
      const page = output.output as { Items?: Record<string, unknown>[] };
      page.Items = page.Items?.flatMap((item) => {
        const stale = before.get(item.runId as string);
        return stale ? [stale] : [];
      });
      return output;
    },
    { step: 'initialize', name: 'indexBehind' },
  );
  try {
    return await act();
  } finally {
    documentClient.middlewareStack.remove('indexBehind');
  }
}

describe('publishRunOutcome', () => {
  it('counts the run just closed though the listed runs still show it running', async () => {
    const failedBefore = dailyRun('27', 'failed');
    const justFailed = dailyRun('28', 'running');
    for (const run of [failedBefore, justFailed]) await runs.recordRun(run);

    expect(
      await publishRunOutcome(runs, metrics, 'daily_sync', { recordsProcessed: 0, closed: [{ ...justFailed, status: 'failed' }] }),
    ).toBe(2);
    expect(streaks()).toEqual([2]);
  });

  it('counts a closed run the listed runs do not hold yet, and a completed one ends the streak', async () => {
    await runs.recordRun(dailyRun('27', 'failed'));

    await publishRunOutcome(runs, metrics, 'daily_sync', { recordsProcessed: 0, closed: [dailyRun('28', 'timeout')] });
    await publishRunOutcome(runs, metrics, 'daily_sync', { recordsProcessed: 0, closed: [dailyRun('28', 'completed')] });

    expect(streaks()).toEqual([2, 0]);
  });
});

describe('the failure streak each closer publishes while the index lags', () => {
  it('counts the run Record Failure just failed', async () => {
    const running = dailyRun('28', 'running');
    for (const run of [dailyRun('27', 'failed'), running]) await runs.recordRun(run);

    await withIndexBehind(() =>
      finishRun(
        runtime.stores,
        {
          runId: running.runId,
          jobType: 'daily_sync',
          executionArn: running.executionArn,
          redriveCount: 0,
          outcome: 'failed',
          results: {},
          error: { Error: 'SyncFailedError', Cause: 'every project failed' },
        },
        { now: NOW, metrics },
      ),
    );

    expect(streaks()).toEqual([2]);
  });

  it('counts the run the reconciler closed after its execution timed out, and one it recorded', async () => {
    const running = dailyRun('27', 'running');
    await runs.recordRun(running);
    const timedOut = (run: JobRun) => ({
      executionArn: run.executionArn,
      status: 'TIMED_OUT' as const,
      startDate: Date.parse(run.scheduledTime),
      stopDate: Date.parse(run.scheduledTime) + 3_600_000,
      input: JSON.stringify({ jobType: run.jobType, trigger: run.trigger, scheduledTime: run.scheduledTime }),
    });

    await withIndexBehind(() => reconcileExecution(runtime.stores, timedOut(running), { now: NOW, metrics }));
    // An execution that ended before its first state recorded the run: the index does not hold it yet.
    await withIndexBehind(() => reconcileExecution(runtime.stores, timedOut(dailyRun('28', 'running')), { now: NOW, metrics }));

    expect(streaks()).toEqual([1, 2]);
  });

  it('counts every run the sweep timed out', async () => {
    for (const run of [dailyRun('26', 'failed'), dailyRun('27', 'running'), dailyRun('28', 'running')]) await runs.recordRun(run);

    await withIndexBehind(() => sweepStuckRuns(runtime.stores, { now: new Date('2026-11-28T05:00:00Z'), timeoutMs: 3_600_000, metrics }));

    expect(streaks()).toEqual([3]);
  });
});
