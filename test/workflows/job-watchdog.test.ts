import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { type JobType, manualRunRequest, type RunStatus, runIdOf } from '../../shared/domain/job-run.ts';
import { failureAfter, newProject, type SyncFailure } from '../../shared/domain/project.ts';
import { schedulerTimeOf } from '../../shared/domain/schedule-slots.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const sns = mockClient(SNSClient);
let runtime: LocalRuntime;
beforeAll(async () => (runtime = await startTestRuntime({ alertsFile: undefined })));
afterAll(() => runtime?.close());
beforeEach(async () => {
  await runtime.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

const run = (jobType: JobType, scheduledTime: string, status: RunStatus, durationMs = 60_000) =>
  scheduledRun(jobType, scheduledTime, status, { durationMs });
const jobMessages = () =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Subject?.startsWith('CTO dashboard jobs:'));
const hourly = (at: string) => runtime.runJob('hourly', { at: new Date(at), retryIntervalMs: 0 });
const NOT_FOUND = 'RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)';
/** Records that the daily run of `day` failed on the project, as Record Project Failure does. */
async function dailyFailed(projectId: string, day: string): Promise<SyncFailure> {
  const project = await runtime.stores.projects.get(projectId);
  const failure = failureAfter(project?.failure, { runId: `daily_sync#${day}T02:00:00Z`, at: `${day}T02:00:00Z`, error: NOT_FOUND });
  expect(await runtime.stores.projects.saveFailure(projectId, failure, project?.failure?.lastRunId)).toBe(true);
  return failure;
}

describe('the watchdog in the hourly job', () => {
  it('alerts once for a daily slot that never ran, again only when another is missed, and resolves once a run made them up', async () => {
    for (const day of ['2026-11-24', '2026-11-25', '2026-11-26'])
      await runtime.stores.runs.recordRun(run('daily_sync', `${day}T02:00:00Z`, 'completed'));
    await runtime.stores.runs.recordRun(run('weekly_report', '2026-11-23T09:00:00Z', 'completed'));

    const first = await hourly('2026-11-27T10:00:00Z');
    expect(first.run?.summary).toContain('jobs unhealthy (daily_sync missed 1 slot(s): 2026-11-27T02:00:00Z)');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]).toMatchObject({ Subject: 'CTO dashboard jobs: 1 new' });
    expect(jobMessages()[0]!.Message).toContain(
      "NEW: Scheduled run missed\n  daily_sync missed 1 scheduled run(s)\n  no run for 2026-11-27T02:00:00Z (30 minutes' grace)",
    );

    await hourly('2026-11-27T11:00:00Z');
    await hourly('2026-11-28T01:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    // 2026-11-28 02:00 never runs either: one more missed slot makes it worse.
    await hourly('2026-11-28T03:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 worse']);
    expect((await runtime.stores.alerts.listOpen()).find((alert) => alert.rule === 'missed_run')).toMatchObject({
      alertId: 'missed_run#daily_sync',
      value: 2,
    });

    // The operator's manual run completes: the missed slots are made up for.
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T09:00:00.000Z', 'completed', 60_000));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual([
      'CTO dashboard jobs: 1 new',
      'CTO dashboard jobs: 1 worse',
      'CTO dashboard jobs: 1 resolved',
    ]);
  });

  it('alerts on three failed runs in a row, stays quiet while the streak holds, and resolves on a success', async () => {
    await runtime.stores.runs.recordRun(run('weekly_report', '2026-11-23T09:00:00Z', 'completed'));
    for (const day of ['2026-11-25', '2026-11-26', '2026-11-27'])
      await runtime.stores.runs.recordRun(run('daily_sync', `${day}T02:00:00Z`, 'failed'));
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-24T02:00:00Z', 'completed'));
    await hourly('2026-11-27T10:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job failing run after run\n  daily_sync failed 3 runs in a row\n' +
        '  last: daily_sync#2026-11-27T02:00:00Z failed: TransientError: GitHub answered 502',
    );

    await hourly('2026-11-27T11:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed'));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts on a scheduled run that started more than 30 minutes after its slot', async () => {
    await runtime.stores.runs.recordRun({
      ...run('daily_sync', '2026-11-28T02:00:00Z', 'completed'),
      createdAt: '2026-11-28T02:45:00.000Z',
    });
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Scheduled run started late\n  daily_sync#2026-11-28T02:00:00Z started 45 minutes after its slot',
    );
  });

  it('alerts on a run over 8 minutes', async () => {
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed', 8.5 * 60_000));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages()[0]!.Message).toContain('NEW: Job run over its time limit\n  daily_sync#2026-11-28T02:00:00Z ran 8.5 minutes');
  });

  it('alerts once on a project failing to sync 3 daily runs in a row, stays quiet while it fails, resolves when it syncs', async () => {
    await runtime.stores.projects.save(newProject({ repository: 'acme/gone' }, new Date('2026-11-01T00:00:00Z')));
    await runtime.stores.projects.save(newProject({ repository: 'acme/web' }, new Date('2026-11-01T00:00:00Z')));
    await dailyFailed('acme/gone', '2026-11-26');
    await dailyFailed('acme/gone', '2026-11-27');
    const twoDays = await hourly('2026-11-27T03:00:00Z');
    expect(jobMessages()).toHaveLength(0);
    expect(twoDays.run?.summary).toContain('1 project(s) failing to sync, 0 for 3+ runs');

    await dailyFailed('acme/gone', '2026-11-28');
    await hourly('2026-11-28T03:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]).toMatchObject({ Subject: 'CTO dashboard jobs: 1 new' });
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Project failing to sync\n  acme/gone failed to sync in 3 runs in a row\n' +
        `  failing since 2026-11-26T02:00:00Z (2 day(s)); last: ${NOT_FOUND}`,
    );

    // Every hour of that day, and the next day's failure inside the 24 h cooldown, stay quiet.
    await hourly('2026-11-28T04:00:00Z');
    await dailyFailed('acme/gone', '2026-11-29');
    await hourly('2026-11-29T02:30:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect((await runtime.stores.alerts.listOpen()).find((alert) => alert.rule === 'project_sync_failing')).toMatchObject({
      alertId: 'project_sync_failing#acme/gone',
      value: 4,
    });

    await runtime.stores.projects.clearFailure('acme/gone');
    await hourly('2026-11-29T03:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  const subjects = () => jobMessages().map((input) => input.Subject);
  /** Daily runs at 02:00 of each day from `first`, completed unless `failedDays` names the day. */
  async function dailyHistory(first: string, days: number, failedDays: readonly string[] = [], durationMs = 60_000) {
    for (let index = 0; index < days; index++) {
      const day = new Date(Date.parse(`${first}T02:00:00Z`) + index * 86_400_000).toISOString().slice(0, 10);
      await runtime.stores.runs.recordRun(
        run('daily_sync', `${day}T02:00:00Z`, failedDays.includes(day) ? 'failed' : 'completed', durationMs),
      );
    }
  }
  const weeklyOn23rd = () => runtime.stores.runs.recordRun(run('weekly_report', '2026-11-23T09:00:00Z', 'completed'));

  it('alerts once on 3 scattered failures in the last 10 daily runs, and resolves when one falls out of them', async () => {
    await weeklyOn23rd();
    await dailyHistory('2026-11-18', 10, ['2026-11-18', '2026-11-25', '2026-11-27']);
    await hourly('2026-11-27T10:00:00Z');
    await hourly('2026-11-27T11:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job failing often\n  daily_sync failed 3 of its last 10 runs\n  failed: daily_sync#2026-11-27T02:00:00Z failed, ' +
        'daily_sync#2026-11-25T02:00:00Z failed, daily_sync#2026-11-18T02:00:00Z failed',
    );

    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed'));
    await hourly('2026-11-28T10:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts once on a success rate of 90% over the last 20 daily runs, read past the window, and resolves at 95%', async () => {
    await weeklyOn23rd();
    await dailyHistory('2026-11-08', 20, ['2026-11-08', '2026-11-10']);
    await hourly('2026-11-27T10:00:00Z');
    await hourly('2026-11-27T11:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job success rate below its alert line\n  daily_sync succeeded in 90% of its last 20 runs\n' +
        '  18 of 20 ended runs completed since 2026-11-08T02:00:00Z, below the 95% alert line',
    );

    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed'));
    await hourly('2026-11-28T10:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts once on a daily run of 2 s against its usual 45 s, and resolves once the run is a day old', async () => {
    await weeklyOn23rd();
    await dailyHistory('2026-11-20', 8, [], 45_000);
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed', 2_000));
    await hourly('2026-11-28T03:00:00Z');
    await hourly('2026-11-28T04:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job run far from its usual duration\n  daily_sync#2026-11-28T02:00:00Z took 2 s, far faster than its usual 45 s\n' +
        "  under 0.1 times the median of the job's last 20 completed runs; processed 0",
    );

    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-29T02:00:00Z', 'completed', 45_000));
    await hourly('2026-11-29T03:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts once on a daily run still running past 3 times its usual 45 s (not at exactly 3 times), and resolves', async () => {
    // The hourly job's stuck-run sweep judges open runs by the wall clock: this one starts now, a manual run (never late).
    const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const lastSlot = (hourUtc: number, weekday?: number) => {
      const slot = new Date(startedAt);
      slot.setUTCHours(hourUtc, 0, 0, 0);
      while (slot > startedAt || (weekday !== undefined && slot.getUTCDay() !== weekday)) slot.setUTCDate(slot.getUTCDate() - 1);
      return slot;
    };
    const lastWeekly = lastSlot(9, 1);
    for (const weekly of [lastWeekly, new Date(lastWeekly.getTime() + 7 * 86_400_000)])
      await runtime.stores.runs.recordRun(run('weekly_report', schedulerTimeOf(weekly), 'completed'));
    const lastDaily = lastSlot(2);
    await dailyHistory(schedulerTimeOf(new Date(lastDaily.getTime() - 7 * 86_400_000)).slice(0, 10), 8, [], 45_000);
    const request = manualRunRequest('daily_sync', startedAt);
    const running = { ...run('daily_sync', request.scheduledTime, 'running'), runId: runIdOf(request), trigger: 'manual' as const };
    await runtime.stores.runs.recordRun({ ...running, startedAt: startedAt.toISOString(), durationMs: undefined });
    const startedPlus = (ms: number) => new Date(startedAt.getTime() + ms).toISOString();

    const atTheMultiple = await hourly(startedPlus(135_000));
    expect(atTheMultiple.run?.summary).toContain('; 0 job alerts firing');
    expect(subjects()).toEqual([]);
    await hourly(startedPlus(136_000));
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    // The message shortens the title to its line; the alert keeps it whole.
    expect(jobMessages()[0]!.Message).toContain(
      `NEW: Job run far from its usual duration\n  ${running.runId} has been running for 2.3 min, far slower than its usual`,
    );
    expect(jobMessages()[0]!.Message).toContain(
      `\n  over 3 times the median of the job's last 20 completed runs; still running since ${startedAt.toISOString()}`,
    );
    expect((await runtime.stores.alerts.listOpen()).map(({ alertId, title }) => [alertId, title])).toEqual([
      [`runtime_anomaly#${running.runId}`, `${running.runId} has been running for 2.3 min, far slower than its usual 45 s`],
    ]);

    // It ends as slow as it ran: the same alert, not a second page; a day later it resolves.
    const ending = { status: 'completed', finishedAt: startedPlus(240_000), durationMs: 240_000 } as const;
    expect(await runtime.stores.runs.endRun(running.runId, running.executionArn, ending)).toBe(true);
    await hourly(startedPlus(3_600_000));
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    const nextDaily = new Date(lastDaily.getTime() + 86_400_000);
    await runtime.stores.runs.recordRun(run('daily_sync', schedulerTimeOf(nextDaily), 'completed', 45_000));
    await hourly(startedPlus(86_401_000));
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts once on a fourth manual daily run in 24 hours, and resolves once the runs are older', async () => {
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed'));
    for (const hour of ['04', '05', '06', '07']) {
      const scheduledTime = `2026-11-28T${hour}:00:00.000Z`;
      await runtime.stores.runs.recordRun({
        ...run('daily_sync', scheduledTime, 'completed'),
        runId: `daily_sync#${scheduledTime}#manual`,
        trigger: 'manual',
      });
    }
    await hourly('2026-11-28T10:00:00Z');
    await hourly('2026-11-28T11:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job ran more often than its schedule allows\n  daily_sync ran 5 times in 24 hours\n' +
        '  1 scheduled for 1 slot(s) of 0 2 * * * (UTC); 4 manual, 3 allowed',
    );

    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-29T02:00:00Z', 'completed'));
    await hourly('2026-11-29T05:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts once on 4 hourly runs skipped in a day, naming the schedule and why, and resolves as they age', async () => {
    await runtime.stores.runs.recordRun(run('hourly_metrics', '2026-11-28T04:00:00Z', 'completed'));
    const summary = 'skipped: hourly_metrics#2026-11-28T04:00:00Z is still running (its lock holds until 2026-11-28T09:00:00.000Z)';
    for (const hour of ['05', '06', '07', '08'])
      await runtime.stores.runs.recordRun(
        scheduledRun('hourly_metrics', `2026-11-28T${hour}:00:00Z`, 'skipped', { durationMs: 0, summary }),
      );
    await hourly('2026-11-28T10:00:00Z');
    await hourly('2026-11-28T11:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new']);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job runs skipped\n  hourly_metrics skipped 4 runs or deliveries in 24 hours (schedule 0 * * * *, UTC)\n' +
        '  2026-11-28T08:00:00Z skipped: hourly_metrics#2026-11-28T04:00:00Z is still running',
    );

    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-29T02:00:00Z', 'completed'));
    await hourly('2026-11-29T06:00:00Z');
    expect(subjects()).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });
});
