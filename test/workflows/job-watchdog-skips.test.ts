import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { JobRun } from '../../shared/domain/job-run.ts';
import { METRIC_NAMES } from '../../shared/metrics.ts';
import { captureEmf } from '../support/emf.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const sns = mockClient(SNSClient);
const emf = captureEmf();
let runtime: LocalRuntime;
beforeAll(
  async () => (runtime = await startTestRuntime({ alertsFile: undefined, environment: { POWERTOOLS_METRICS_DISABLED: 'false' } })),
);
afterAll(() => runtime?.close());
beforeEach(async () => {
  await runtime.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

const jobMessages = () =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Subject?.startsWith('CTO dashboard jobs:'));
const subjects = () => jobMessages().map((input) => input.Subject);
const hourly = (at: string) => runtime.runJob('hourly', { at: new Date(at), retryIntervalMs: 0 });
const skippedRunsPublished = () => emf.published(METRIC_NAMES.skippedRuns).map(({ value }) => value);
/** A completed daily run that deferred `projects` for a rate limit, ended 5 minutes after it was scheduled. */
function deferringRun(scheduledTime: string, projects: number): JobRun {
  const run = scheduledRun('daily_sync', scheduledTime, 'completed', {
    finishedAt: new Date(Date.parse(scheduledTime) + 300_000).toISOString(),
    rateLimitDeferrals: projects,
  });
  return scheduledTime.includes('.') ? { ...run, trigger: 'manual', runId: `${run.runId}#manual` } : run;
}

describe('the watchdog counts rate-limit deferrals as skips', () => {
  it('allows 3 deferring daily runs in a day, alerts once on a fourth naming the schedule and rate-limit, and resolves', async () => {
    await runtime.stores.runs.recordRun(scheduledRun('weekly_report', '2026-11-23T09:00:00Z', 'completed'));
    await runtime.stores.runs.recordRun(deferringRun('2026-11-28T02:00:00Z', 40));
    for (const rerun of ['2026-11-28T04:00:00.000Z', '2026-11-28T05:00:00.000Z'])
      await runtime.stores.runs.recordRun(deferringRun(rerun, 10));

    // The 05:00 rerun ended at 05:05, in the hour judged: one skip in SkippedRuns; three in the day, allowed.
    const threeInADay = await hourly('2026-11-28T06:00:00Z');
    expect(threeInADay.run?.summary).toContain('0 job alerts firing');
    expect(skippedRunsPublished()).toEqual([1]);
    expect(subjects()).toEqual([]);

    await runtime.stores.runs.recordRun(deferringRun('2026-11-28T06:30:00.000Z', 5));
    await hourly('2026-11-28T07:00:00Z');
    await hourly('2026-11-28T08:00:00Z');
    expect(skippedRunsPublished()).toEqual([1, 1, 0]);
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job runs skipped\n  daily_sync skipped 4 runs or deliveries in 24 hours (schedule 0 2 * * *, UTC)\n' +
        '  2026-11-28T06:30:00.000Z rate-limit: 5 project(s) deferred to the next run; ' +
        '2026-11-28T05:00:00.000Z rate-limit: 10 project(s) deferred to the next run;',
    );

    // A day after the slot's run ended, three are left: resolved.
    await runtime.stores.runs.recordRun(scheduledRun('daily_sync', '2026-11-29T02:00:00Z', 'completed'));
    await hourly('2026-11-29T02:10:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });
});
