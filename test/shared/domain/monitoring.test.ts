import { describe, expect, it } from 'vitest';
import { JOB_TYPES, type JobRun, type JobType, type RunStatus } from '../../../shared/domain/job-run.ts';
import { type SuccessRate, successRateOf } from '../../../shared/domain/job-run-rules.ts';
import {
  consecutiveFailuresOf,
  DEFAULT_MONITORING_THRESHOLDS,
  dailyFigures,
  dashboardData,
  gracesOf,
  jobAlerts,
  type MonitoringThresholds,
  missedSlots,
  projectSyncAlerts,
  stuckRuns,
} from '../../../shared/domain/monitoring.ts';
import { expectedSlots, nextSlot } from '../../../shared/domain/schedule-slots.ts';

const NOW = new Date('2026-11-28T12:30:00Z');
const HOUR = 3_600_000;
const iso = (hoursAgo: number) => `${new Date(NOW.getTime() - hoursAgo * HOUR).toISOString().slice(0, 19)}Z`;

function run(jobType: JobType, status: RunStatus, hoursAgo: number, durationMs?: number): JobRun {
  return {
    runId: `${jobType}#${iso(hoursAgo)}`,
    jobType,
    trigger: 'schedule',
    status,
    scheduledTime: iso(hoursAgo),
    executionArn: 'arn',
    createdAt: iso(hoursAgo),
    startedAt: iso(hoursAgo),
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
    ...(durationMs === undefined ? {} : { durationMs }),
  };
}

describe('consecutiveFailuresOf', () => {
  it('counts failed and timed-out runs back to the last completed one, ignoring skipped and open runs', () => {
    expect(
      consecutiveFailuresOf([
        run('daily_sync', 'failed', 1),
        run('daily_sync', 'skipped', 2),
        run('daily_sync', 'timeout', 3),
        run('daily_sync', 'failed', 4),
        run('daily_sync', 'completed', 5),
        run('daily_sync', 'failed', 6),
      ]),
    ).toBe(3);
    expect(
      consecutiveFailuresOf([
        run('daily_sync', 'completed', 1),
        run('daily_sync', 'failed', 2),
        run('daily_sync', 'failed', 3),
        run('daily_sync', 'failed', 4),
      ]),
    ).toBe(0);
    expect(consecutiveFailuresOf([run('daily_sync', 'running', 0), run('daily_sync', 'failed', 1)])).toBe(1);
  });
});

describe('stuckRuns', () => {
  it('finds runs still open past the budget, not those within it', () => {
    const stuck = run('hourly_metrics', 'running', 10 / 60);
    expect(stuckRuns([stuck, run('hourly_metrics', 'running', 8 / 60), run('hourly_metrics', 'completed', 20 / 60)], NOW, 9)).toEqual([
      stuck,
    ]);
  });
});

describe('missed and expected slots', () => {
  it('knows the daily slots across the spring-forward change in Berlin (03:30 local is 02:30 UTC, then 01:30 UTC)', () => {
    const schedule = { cron: '30 3 * * *', timeZone: 'Europe/Berlin' };
    expect(expectedSlots(schedule, new Date('2027-03-26T12:00:00Z'), new Date('2027-03-29T12:00:00Z'))).toEqual([
      '2027-03-27T02:30:00Z',
      '2027-03-28T01:30:00Z',
      '2027-03-29T01:30:00Z',
    ]);
  });

  it('finds a missed daily slot after the grace period, in New York across the fall-back change', () => {
    const schedule = { cron: '0 2 * * *', timeZone: 'America/New_York' };
    // 02:00 EDT on Oct 31 is 06:00Z; 02:00 EST on Nov 1 and 2 is 07:00Z.
    const ran = [{ scheduledTime: '2026-10-31T06:00:00Z' }, { scheduledTime: '2026-11-02T07:00:00Z' }] as JobRun[];
    expect(missedSlots(schedule, ran, new Date('2026-10-30T12:00:00Z'), new Date('2026-11-02T07:29:59Z'), 30)).toEqual([
      '2026-11-01T07:00:00Z',
    ]);
    expect(missedSlots(schedule, [], new Date('2026-11-01T12:00:00Z'), new Date('2026-11-02T07:29:59Z'), 30)).toEqual([]);
    expect(missedSlots(schedule, [], new Date('2026-11-01T12:00:00Z'), new Date('2026-11-02T07:30:00Z'), 30)).toEqual([
      '2026-11-02T07:00:00Z',
    ]);
  });

  it('stops counting a missed slot once a later run completed (a manual run made it up), not while that run failed', () => {
    const schedule = { cron: '0 2 * * *', timeZone: 'UTC' };
    const slotRun = { scheduledTime: '2026-11-26T02:00:00Z', status: 'completed' } as JobRun;
    const manual = (status: JobRun['status']) => ({ scheduledTime: '2026-11-27T09:15:00.000Z', status }) as JobRun;
    const now = new Date('2026-11-27T12:00:00Z');
    expect(missedSlots(schedule, [slotRun, manual('failed')], new Date('2026-11-25T12:00:00Z'), now, 30)).toEqual([
      '2026-11-27T02:00:00Z',
    ]);
    expect(missedSlots(schedule, [slotRun, manual('completed')], new Date('2026-11-25T12:00:00Z'), now, 30)).toEqual([]);
    expect(
      missedSlots(schedule, [slotRun, manual('completed')], new Date('2026-11-25T12:00:00Z'), new Date('2026-11-28T02:30:00Z'), 30),
    ).toEqual(['2026-11-28T02:00:00Z']);
  });

  it('finds a missed weekly slot and names the next one', () => {
    const schedule = { cron: '0 9 * * 1', timeZone: 'Europe/London' };
    expect(
      missedSlots(
        schedule,
        [{ scheduledTime: '2026-11-16T09:00:00Z' } as JobRun],
        new Date('2026-11-10T00:00:00Z'),
        new Date('2026-11-28T00:00:00Z'),
        30,
      ),
    ).toEqual(['2026-11-23T09:00:00Z']);
    expect(nextSlot(schedule, NOW)).toBe('2026-11-30T09:00:00Z');
    expect(nextSlot({ cron: '0 9 * * 1', timeZone: 'Europe/London' }, new Date('2027-03-27T00:00:00Z'))).toBe('2027-03-29T08:00:00Z');
  });
});

describe('dashboardData', () => {
  const schedules = {
    daily_sync: { cron: '0 2 * * *', timeZone: 'UTC' },
    hourly_metrics: { cron: '0 * * * *', timeZone: 'UTC' },
    weekly_report: { cron: '0 9 * * 1', timeZone: 'UTC' },
  };
  const options = { now: NOW, schedules, thresholds: DEFAULT_MONITORING_THRESHOLDS, budgetMinutes: 9 };

  it('gives exact figures per job type from seeded history', () => {
    const runs = [
      run('daily_sync', 'completed', 10.5, 120_000),
      run('daily_sync', 'completed', 34.5, 60_000),
      run('daily_sync', 'failed', 58.5, 30_000),
      ...Array.from({ length: 19 }, (_, i) => run('hourly_metrics', 'completed', i + 0.5, 1_000 * (i + 1))),
      run('hourly_metrics', 'skipped', 19.5),
    ];
    const data = dashboardData(runs, options);
    expect(data.statistics[0]).toEqual({
      jobType: 'daily_sync',
      total: 3,
      completed: 2,
      failed: 1,
      timeouts: 0,
      successRate: 2 / 3,
      avgExecutionTimeMs: 70_000,
      p50ExecutionTimeMs: 60_000,
      p95ExecutionTimeMs: 120_000,
      consecutiveFailures: 0,
      lastRun: { runId: `daily_sync#${iso(10.5)}`, status: 'completed', scheduledTime: iso(10.5), durationMs: 120_000 },
      nextRun: '2026-11-29T02:00:00Z',
    });
    expect(data.statistics[1]).toMatchObject({
      total: 20,
      completed: 19,
      successRate: 1,
      avgExecutionTimeMs: 10_000,
      p95ExecutionTimeMs: 19_000,
      nextRun: '2026-11-28T13:00:00Z',
    });
    expect(data.statistics[2]).toMatchObject({
      total: 0,
      successRate: null,
      avgExecutionTimeMs: null,
      p95ExecutionTimeMs: null,
      lastRun: null,
      nextRun: '2026-11-30T09:00:00Z',
    });
    // The daily failure is 58 h old: outside the last 24 hours, but the success rate is 67%.
    expect(data.summary).toEqual({ runningJobs: 0, recentFailures: 0, slowJobs: 0, healthStatus: 'degraded' });
    expect(data.reasons).toEqual(['daily_sync succeeded in 66.7% of runs']);
  });

  it('is healthy when nothing is wrong, degraded on a slow run, unhealthy on 3 failures in a row, a missed slot or a stuck run', () => {
    const good = [run('daily_sync', 'completed', 10.5, 60_000)];
    expect(dashboardData(good, options).summary.healthStatus).toBe('healthy');
    expect(dashboardData([...good, run('hourly_metrics', 'completed', 1, 6 * 60_000)], options)).toMatchObject({
      summary: { slowJobs: 1, healthStatus: 'degraded' },
    });
    const failing = [
      run('hourly_metrics', 'failed', 1),
      run('hourly_metrics', 'timeout', 2),
      run('hourly_metrics', 'failed', 3),
      run('hourly_metrics', 'completed', 4),
    ];
    expect(dashboardData(failing, options)).toMatchObject({ summary: { recentFailures: 3, healthStatus: 'unhealthy' } });
    expect(dashboardData(failing, options).reasons[0]).toBe('hourly_metrics failed 3 runs in a row');
    expect(dashboardData(good, { ...options, missed: { weekly_report: ['2026-11-23T09:00:00Z'] } }).reasons).toEqual([
      'weekly_report missed 1 slot(s): 2026-11-23T09:00:00Z',
    ]);
    expect(dashboardData([run('daily_sync', 'running', 1)], options)).toMatchObject({
      summary: { runningJobs: 1, healthStatus: 'unhealthy' },
    });
  });
});

describe('jobAlerts', () => {
  // Slots at half past, as the runs below are: three hours before NOW is Saturday 09:30.
  const schedules = {
    daily_sync: { cron: '30 9 * * *', timeZone: 'UTC' },
    hourly_metrics: { cron: '30 * * * *', timeZone: 'UTC' },
    weekly_report: { cron: '30 9 * * 6', timeZone: 'UTC' },
  };
  const configured: MonitoringThresholds = DEFAULT_MONITORING_THRESHOLDS;
  const alertsOf = (runs: JobRun[], thresholds: MonitoringThresholds = configured) => {
    const successRates = Object.fromEntries(
      JOB_TYPES.map((jobType) => [
        jobType,
        successRateOf(
          runs.filter((other) => other.jobType === jobType),
          NOW,
          thresholds,
        ),
      ]),
    ) as Record<JobType, SuccessRate>;
    const watchedForLateness: JobType[] = ['daily_sync', 'weekly_report'];
    return jobAlerts(runs, {}, { now: NOW, thresholds, budgetMinutes: 9, watchedForLateness, schedules, successRates });
  };
  const startedLate = (jobType: JobType, minutes: number) => {
    const late = run(jobType, 'completed', 3);
    return { ...late, createdAt: new Date(Date.parse(late.scheduledTime) + minutes * 60_000).toISOString() };
  };
  const perJob: MonitoringThresholds = { ...configured, jobs: { weekly: { missedRunGraceMinutes: 120, longRunMinutes: 3 } } };

  it("takes a job's own graces where set and the global ones otherwise", () => {
    expect(gracesOf(perJob, 'weekly_report')).toEqual({ missedRunGraceMinutes: 120, longRunMinutes: 3 });
    expect(gracesOf(perJob, 'daily_sync')).toEqual({ missedRunGraceMinutes: 30, longRunMinutes: 8 });
    expect(gracesOf({ ...perJob, jobs: { daily: { longRunMinutes: 6 } } }, 'daily_sync')).toEqual({
      missedRunGraceMinutes: 30,
      longRunMinutes: 6,
    });
  });

  it("judges a late start by the job's own grace: the weekly report at 120 minutes, one minute past, and the daily sync at 30", () => {
    expect(alertsOf([startedLate('weekly_report', 120), startedLate('daily_sync', 30)], perJob)).toEqual([]);
    expect(alertsOf([startedLate('weekly_report', 121), startedLate('daily_sync', 31)], perJob).map((alert) => alert.title)).toEqual([
      `weekly_report#${iso(3)} started 121 minutes after its slot`,
      `daily_sync#${iso(3)} started 31 minutes after its slot`,
    ]);
  });

  it("judges a run's length by the job's own limit: the weekly report at 3 minutes and 1 ms past it, the daily sync at 8", () => {
    expect(alertsOf([run('weekly_report', 'completed', 3, 180_000), run('daily_sync', 'completed', 3, 480_000)], perJob)).toEqual([]);
    const long = alertsOf([run('weekly_report', 'completed', 3, 180_001), run('daily_sync', 'completed', 3, 480_001)], perJob);
    expect(long.map((alert) => [alert.title, alert.detail])).toEqual([
      [`weekly_report#${iso(3)} ran 3 minutes`, 'over the 3-minute limit; ended completed'],
      [`daily_sync#${iso(3)} ran 8 minutes`, 'over the 8-minute limit; ended completed'],
    ]);
  });

  it("applies the run rules' defaults, and the thresholds where set", () => {
    const skipped = [1, 2, 3, 4].map((hoursAgo) => run('hourly_metrics', 'skipped', hoursAgo));
    expect(alertsOf(skipped).map((alert) => alert.alertId)).toEqual(['skipped_runs#hourly_metrics']);
    expect(alertsOf(skipped, { ...configured, skippedRunsPerDay: 4 })).toEqual([]);
    const flapping = ['failed', 'completed', 'failed', 'completed', 'failed'].map((status, index) =>
      run('daily_sync', status as RunStatus, 24 * index + 1),
    );
    expect(alertsOf(flapping).map((alert) => alert.alertId)).toEqual(['failure_rate#daily_sync']);
    expect(alertsOf(flapping, { ...configured, failureRateFailures: 4 })).toEqual([]);
  });
});

describe('projectSyncAlerts', () => {
  const thresholds = { consecutiveProjectFailures: 3 };
  const failing = (
    projectId: string,
    consecutiveRuns: number,
    lastError = 'RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)',
  ) => ({
    projectId,
    failure: { since: '2026-11-25T02:00:00Z', consecutiveRuns, lastError, lastRunId: `daily_sync#run-${consecutiveRuns}` },
  });

  it('fires for a project that failed in 3 runs in a row, not for one that failed in 2 or syncs', () => {
    const alerts = projectSyncAlerts([failing('acme/gone', 3), failing('acme/flaky', 2), { projectId: 'acme/web' }], {
      now: NOW,
      thresholds,
    });

    expect(alerts).toEqual([
      {
        alertId: 'project_sync_failing#acme/gone',
        rule: 'project_sync_failing',
        title: 'acme/gone failed to sync in 3 runs in a row',
        value: 3,
        level: 0,
        detail:
          'failing since 2026-11-25T02:00:00Z (3 day(s)); ' +
          'last: RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)',
      },
    ]);
  });

  it('keeps its identity while the streak grows, and gets worse only as it doubles', () => {
    const levels = [3, 4, 5, 6, 11, 12].map((runs) => projectSyncAlerts([failing('acme/gone', runs)], { now: NOW, thresholds })[0]!);

    expect(new Set(levels.map((alert) => alert.alertId))).toEqual(new Set(['project_sync_failing#acme/gone']));
    expect(levels.map((alert) => alert.level)).toEqual([0, 0, 0, 1, 1, 2]);
  });

  it('keeps an error on one line and within 300 characters', () => {
    const [alert] = projectSyncAlerts([failing('acme/gone', 3, `InvalidDataError: line one\nline two ${'x'.repeat(400)}`)], {
      now: NOW,
      thresholds,
    });

    expect(alert!.detail).not.toContain('\n');
    expect(alert!.detail!.length).toBeLessThanOrEqual(300);
    expect(alert!.detail).toContain('last: InvalidDataError: line one line two xxx');
  });
});

describe('dailyFigures', () => {
  it('gives each UTC day of the window, oldest first, its ended runs, success rate and p50/p95 durations', () => {
    const runs = [
      run('hourly_metrics', 'completed', 0.5, 1_000),
      run('hourly_metrics', 'completed', 1.5, 3_000),
      run('hourly_metrics', 'timeout', 2.5, 9_000),
      run('hourly_metrics', 'running', 0.1),
      run('hourly_metrics', 'completed', 24.5, 2_000),
    ];

    const days = dailyFigures(runs, NOW, 3);

    expect(days.map((day) => day.date)).toEqual(['2026-11-26', '2026-11-27', '2026-11-28']);
    expect(days[0]).toEqual({ date: '2026-11-26', runs: 0, successRate: null, p50DurationMs: null, p95DurationMs: null });
    expect(days[1]).toEqual({ date: '2026-11-27', runs: 1, successRate: 1, p50DurationMs: 2_000, p95DurationMs: 2_000 });
    expect(days[2]).toEqual({ date: '2026-11-28', runs: 3, successRate: 2 / 3, p50DurationMs: 3_000, p95DurationMs: 9_000 });
  });
});
