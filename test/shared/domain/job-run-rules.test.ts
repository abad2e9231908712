import { describe, expect, it } from 'vitest';
import type { JobRun, JobType, RunStatus } from '../../../shared/domain/job-run.ts';
import {
  failureRateAlerts,
  medianDurationBefore,
  DEFAULT_JOB_RUN_RULE_THRESHOLDS as RULES,
  ranTooOftenAlerts,
  runtimeAnomalyAlerts,
  skippedRunAlerts,
  skippedRunsBetween,
  successRateAlerts,
  successRateOf,
  successRateSample,
} from '../../../shared/domain/job-run-rules.ts';
import type { JobSchedule } from '../../../shared/domain/schedule-slots.ts';
import { scheduledRun } from '../../support/job-runs.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const HOURLY: JobSchedule = { cron: '0 * * * *', timeZone: 'UTC' };
const DAILY: JobSchedule = { cron: '0 2 * * *', timeZone: 'Europe/Berlin' };
const iso = (msAgo: number) => `${new Date(NOW.getTime() - msAgo).toISOString().slice(0, 19)}Z`;
const hoursAgo = (hours: number) => iso(hours * 3_600_000);
const daysAgo = (days: number) => iso(days * 86_400_000);

/** The daily job's runs, one a day back from yesterday, with the statuses given newest first. */
function dailyRuns(...statuses: RunStatus[]): JobRun[] {
  return statuses.map((status, index) => scheduledRun('daily_sync', daysAgo(index + 1), status));
}
/** Hourly runs, one an hour back from `fromHoursAgo`, each of the statuses newest first. */
function hourlyRuns(statuses: RunStatus[], fromHoursAgo = 1): JobRun[] {
  return statuses.map((status, index) => scheduledRun('hourly_metrics', hoursAgo(fromHoursAgo + index), status));
}
const repeat = <const T>(count: number, value: T): T[] => Array.from({ length: count }, () => value);

describe('successRateSample', () => {
  it('covers the ended runs of the 7-day window when it holds at least 20', () => {
    const runs = hourlyRuns([...repeat(30, 'completed'), 'skipped', 'running'], 0.5);
    expect(successRateSample(runs, NOW, 7, 20)).toHaveLength(30);
    expect(successRateSample(hourlyRuns(repeat(200, 'completed')), NOW, 7, 20)).toHaveLength(167);
  });

  it('reaches back past the window for the newest 20 ended runs of a daily job, or takes all there are', () => {
    const runs = dailyRuns(...repeat(10, 'completed'), 'skipped', 'running', ...repeat(15, 'failed'));
    const sample = successRateSample(runs, NOW, 7, 20);
    expect(sample).toHaveLength(20);
    expect(sample.every((run) => run.status !== 'skipped' && run.status !== 'running')).toBe(true);
    expect(sample.at(-1)!.scheduledTime).toBe(daysAgo(22));
    expect(successRateSample(dailyRuns('failed', 'completed'), NOW, 7, 20)).toHaveLength(2);
  });
});

describe('successRateOf', () => {
  it('judges a job from its 20th ended run on, to one decimal, and says how many it has before', () => {
    const twenty = dailyRuns('failed', ...repeat(19, 'completed'));
    expect(successRateOf(twenty, NOW, RULES)).toEqual({ completed: 19, runs: 20, since: daysAgo(20), percent: 95 });
    expect(successRateOf(twenty.slice(0, 19), NOW, RULES)).toEqual({ completed: 18, runs: 19, since: daysAgo(19), percent: null });
    expect(successRateOf(hourlyRuns(['timeout', ...repeat(47, 'completed')]), NOW, RULES).percent).toBe(97.9);
    expect(successRateOf([], NOW, RULES)).toEqual({ completed: 0, runs: 0, since: null, percent: null });
  });
});

describe('skippedRunsBetween', () => {
  it('counts skipped runs and ignored duplicate deliveries scheduled in (from, to], the hour the SkippedRuns metric covers', () => {
    const runs = [
      scheduledRun('hourly_metrics', hoursAgo(0), 'skipped'),
      { ...scheduledRun('daily_sync', hoursAgo(0.5), 'completed'), duplicateDeliveries: 2 },
      scheduledRun('hourly_metrics', hoursAgo(1), 'skipped'),
    ];
    expect(skippedRunsBetween(runs, new Date(NOW.getTime() - 3_600_000), NOW)).toBe(3);
    expect(skippedRunsBetween(runs, new Date(NOW.getTime() - 3_600_001), NOW)).toBe(4);
  });

  it('counts a run that deferred projects for a rate limit once, however many, from when it ended', () => {
    const deferred = (scheduledHoursAgo: number, finishedHoursAgo: number) =>
      scheduledRun('daily_sync', hoursAgo(scheduledHoursAgo), 'completed', {
        finishedAt: new Date(NOW.getTime() - finishedHoursAgo * 3_600_000).toISOString(),
        rateLimitDeferrals: 500,
      });
    const hourAgo = new Date(NOW.getTime() - 3_600_000);
    expect(skippedRunsBetween([deferred(2, 0.5)], hourAgo, NOW)).toBe(1);
    expect(skippedRunsBetween([deferred(2, 1)], hourAgo, NOW)).toBe(0);
    expect(skippedRunsBetween([deferred(0.5, 0.25), scheduledRun('daily_sync', hoursAgo(0.2), 'completed')], hourAgo, NOW)).toBe(1);
  });
});

describe('successRateAlerts', () => {
  const rateAlerts = (jobType: JobType, runs: JobRun[], rules = RULES) =>
    successRateAlerts(jobType, successRateOf(runs, NOW, rules), rules);

  it('stays quiet at exactly 95% (19 of 20 runs) and alerts one failure past it (18 of 20)', () => {
    expect(rateAlerts('daily_sync', dailyRuns('failed', ...repeat(19, 'completed')))).toEqual([]);
    expect(rateAlerts('daily_sync', dailyRuns('failed', 'timeout', ...repeat(18, 'completed')))).toEqual([
      {
        alertId: 'low_success_rate#daily_sync',
        rule: 'low_success_rate',
        title: 'daily_sync succeeded in 90% of its last 20 runs',
        value: 90,
        level: 1,
        detail: `18 of 20 ended runs completed since ${daysAgo(20)}, below the 95% alert line`,
      },
    ]);
  });

  it('does not judge a job with fewer than 20 ended runs', () => {
    expect(rateAlerts('daily_sync', dailyRuns(...repeat(5, 'failed'), ...repeat(14, 'completed')))).toEqual([]);
  });

  it('leaves out skipped and open runs, and resolves (stops firing) once the rate recovers', () => {
    const failing = dailyRuns(...repeat(5, 'skipped'), 'running', ...repeat(18, 'completed'), 'failed', 'failed');
    expect(rateAlerts('daily_sync', failing)).toMatchObject([{ value: 90, title: expect.stringContaining('20 runs') }]);
    // Today's completed run pushes the oldest failure out of the newest 20.
    const recovered = [scheduledRun('daily_sync', hoursAgo(1), 'completed'), ...failing];
    expect(rateAlerts('daily_sync', recovered)).toEqual([]);
  });

  it('judges the whole window by its own threshold: 190 of 200 runs is 95%, 189 of 200 alerts', () => {
    const rules = { ...RULES, successRateWindowDays: 10 };
    const runs = (failures: number) => hourlyRuns([...repeat(failures, 'failed'), ...repeat(200 - failures, 'completed')]);
    expect(rateAlerts('hourly_metrics', runs(10), rules)).toEqual([]);
    expect(rateAlerts('hourly_metrics', runs(11), rules)).toMatchObject([{ value: 94.5, level: 0 }]);
  });
});

describe('failureRateAlerts', () => {
  const STREAK = { ...RULES, consecutiveFailures: 3 };
  it('alerts on 3 failures in the last 10 ended runs, not on 2, nor on a third one 11 runs back', () => {
    const two = dailyRuns('completed', 'failed', 'completed', 'timeout', ...repeat(6, 'completed'), 'failed');
    expect(failureRateAlerts('daily_sync', two, STREAK)).toEqual([]);
    const three = dailyRuns('completed', 'failed', 'skipped', 'completed', 'timeout', ...repeat(5, 'completed'), 'failed');
    expect(failureRateAlerts('daily_sync', three, STREAK)).toEqual([
      {
        alertId: 'failure_rate#daily_sync',
        rule: 'failure_rate',
        title: 'daily_sync failed 3 of its last 10 runs',
        value: 3,
        level: 0,
        detail: `failed: daily_sync#${daysAgo(2)} failed, daily_sync#${daysAgo(5)} timeout, ` + `daily_sync#${daysAgo(11)} failed`,
      },
    ]);
  });

  it('leaves a streak the consecutive-failure rule pages on to it, before and after the job recovers, but counts a shorter one', () => {
    expect(failureRateAlerts('daily_sync', dailyRuns('failed', 'failed', 'failed', 'completed'), STREAK)).toEqual([]);
    expect(failureRateAlerts('daily_sync', dailyRuns('completed', 'failed', 'failed', 'failed', 'completed', 'failed'), STREAK)).toEqual(
      [],
    );
    expect(failureRateAlerts('daily_sync', dailyRuns('completed', 'failed', 'failed', 'completed', 'failed'), STREAK)).toMatchObject([
      { value: 3, title: 'daily_sync failed 3 of its last 5 runs' },
    ]);
  });

  it('gets worse when the failures double', () => {
    const flapping = dailyRuns(...repeat(6, ['failed', 'completed']).flat());
    expect(failureRateAlerts('daily_sync', flapping, { ...STREAK, failureRateRuns: 12 })).toMatchObject([{ value: 6, level: 1 }]);
  });
});

describe('runtime anomalies', () => {
  /** 20 completed daily runs of 45 s before yesterday's, which took `durationMs`. */
  const history = (durationMs: number, status: RunStatus = 'completed') => [
    scheduledRun('daily_sync', daysAgo(0.5), status, { durationMs, recordsProcessed: 0 }),
    ...dailyRuns(...repeat(20, 'completed')).map((run) => ({ ...run, durationMs: 45_000 })),
  ];

  it('takes the median of the last 20 completed runs before the run, and none with fewer than 5', () => {
    const runs = [
      scheduledRun('daily_sync', daysAgo(0.5), 'completed', { durationMs: 1 }),
      ...[10, 20, 30, 40].map((seconds, index) =>
        scheduledRun('daily_sync', daysAgo(index + 1), 'completed', { durationMs: seconds * 1000 }),
      ),
      scheduledRun('daily_sync', daysAgo(5), 'failed', { durationMs: 5 }),
    ];
    expect(medianDurationBefore(runs[0]!, runs, RULES)).toBeNull();
    runs.push(scheduledRun('daily_sync', daysAgo(6), 'completed', { durationMs: 50_000 }));
    expect(medianDurationBefore(runs[0]!, runs, RULES)).toBe(30_000);
  });

  it('flags a completed run under a tenth of the median, not one exactly at it', () => {
    expect(runtimeAnomalyAlerts(history(4_500), NOW, RULES)).toEqual([]);
    expect(runtimeAnomalyAlerts(history(4_499), NOW, RULES)).toEqual([
      {
        alertId: `runtime_anomaly#daily_sync#${daysAgo(0.5)}`,
        rule: 'runtime_anomaly',
        title: `daily_sync#${daysAgo(0.5)} took 4.5 s, far faster than its usual 45 s`,
        value: 4_499,
        level: 0,
        detail: "under 0.1 times the median of the job's last 20 completed runs; processed 0",
      },
    ]);
  });

  it('flags a completed run over 3 times the median, not one exactly at it', () => {
    expect(runtimeAnomalyAlerts(history(135_000), NOW, RULES)).toEqual([]);
    expect(runtimeAnomalyAlerts(history(135_001), NOW, RULES)).toMatchObject([
      { title: `daily_sync#${daysAgo(0.5)} took 2.3 min, far slower than its usual 45 s`, value: 135_001 },
    ]);
  });

  it('flags a run still running over 3 times the median, not one exactly at it, nor one running shorter than a tenth', () => {
    /** Yesterday's run still running, started `ms` before now. */
    const running = (ms: number) => {
      const [run, ...before] = history(0);
      return [
        { ...run!, status: 'running' as const, startedAt: new Date(NOW.getTime() - ms).toISOString(), durationMs: undefined },
        ...before,
      ];
    };
    expect(runtimeAnomalyAlerts(running(135_000), NOW, RULES)).toEqual([]);
    expect(runtimeAnomalyAlerts(running(136_000), NOW, RULES)).toEqual([
      {
        alertId: `runtime_anomaly#daily_sync#${daysAgo(0.5)}`,
        rule: 'runtime_anomaly',
        title: `daily_sync#${daysAgo(0.5)} has been running for 2.3 min, far slower than its usual 45 s`,
        value: 136_000,
        level: 0,
        detail: `over 3 times the median of the job's last 20 completed runs; still running since ${iso(136_000).slice(0, 19)}.000Z`,
      },
    ]);
    expect(runtimeAnomalyAlerts(running(1_000), NOW, RULES)).toEqual([]);
  });

  it('leaves failed runs, runs older than 24 hours and runs with fewer than 5 before them alone', () => {
    expect(runtimeAnomalyAlerts(history(1_000, 'failed'), NOW, RULES)).toEqual([]);
    const old = [
      scheduledRun('daily_sync', daysAgo(1), 'completed', { durationMs: 1_000 }),
      ...dailyRuns(...repeat(20, 'completed')).map((run) => ({ ...run, scheduledTime: daysAgo(30) })),
    ];
    expect(runtimeAnomalyAlerts(old, NOW, RULES)).toEqual([]);
    expect(runtimeAnomalyAlerts(history(1_000).slice(0, 5), NOW, RULES)).toEqual([]);
    expect(runtimeAnomalyAlerts(history(1_000).slice(0, 6), NOW, RULES)).toHaveLength(1);
  });
});

describe('ranTooOftenAlerts', () => {
  const manual = (hours: number) => ({
    ...scheduledRun('hourly_metrics', `${hoursAgo(hours).slice(0, 19)}.123Z`, 'completed'),
    runId: `hourly_metrics#${hoursAgo(hours).slice(0, 19)}.123Z#manual`,
    trigger: 'manual' as const,
  });

  it('allows one run per slot of the last 24 hours and 3 manual runs, and alerts on a fourth manual one', () => {
    const scheduled = hourlyRuns(repeat(24, 'completed'), 0);
    const manualRuns = [manual(1.5), manual(2.5), { ...manual(3.5), status: 'skipped' as const, trigger: 'redrive' as const }];
    expect(ranTooOftenAlerts('hourly_metrics', [...scheduled, ...manualRuns], HOURLY, NOW, RULES)).toEqual([]);
    expect(ranTooOftenAlerts('hourly_metrics', [...scheduled, ...manualRuns, manual(4.5)], HOURLY, NOW, RULES)).toEqual([
      {
        alertId: 'ran_too_often#hourly_metrics',
        rule: 'ran_too_often',
        title: 'hourly_metrics ran 28 times in 24 hours',
        value: 28,
        level: 0,
        detail: '24 scheduled for 24 slot(s) of 0 * * * * (UTC); 4 manual, 3 allowed',
      },
    ]);
  });

  it('alerts on a second scheduled run a day, from a duplicated schedule, not on the one of its slot', () => {
    const slot = scheduledRun('daily_sync', '2026-11-28T01:00:00Z', 'completed');
    expect(ranTooOftenAlerts('daily_sync', [slot], DAILY, NOW, RULES)).toEqual([]);
    const duplicated = scheduledRun('daily_sync', '2026-11-28T01:30:00Z', 'completed');
    expect(ranTooOftenAlerts('daily_sync', [slot, duplicated], DAILY, NOW, RULES)).toMatchObject([
      { value: 2, detail: '2 scheduled for 1 slot(s) of 0 2 * * * (Europe/Berlin); 0 manual, 3 allowed' },
    ]);
  });
});

describe('skippedRunAlerts', () => {
  const skipped = (hours: number) =>
    scheduledRun('hourly_metrics', hoursAgo(hours), 'skipped', {
      summary: `skipped: hourly_metrics#${hoursAgo(hours + 1)} is still running`,
    });

  it('allows 3 skipped runs or ignored deliveries in 24 hours and alerts on a fourth, naming the schedule and each reason', () => {
    const three = [
      skipped(1),
      skipped(2),
      scheduledRun('hourly_metrics', hoursAgo(3), 'completed', { duplicateDeliveries: 1 }),
      skipped(25),
    ];
    expect(skippedRunAlerts('hourly_metrics', three, HOURLY, NOW, RULES)).toEqual([]);
    expect(skippedRunAlerts('hourly_metrics', [...three, skipped(4)], HOURLY, NOW, RULES)).toEqual([
      {
        alertId: 'skipped_runs#hourly_metrics',
        rule: 'skipped_runs',
        title: 'hourly_metrics skipped 4 runs or deliveries in 24 hours (schedule 0 * * * *, UTC)',
        value: 4,
        level: 0,
        detail:
          `${hoursAgo(1)} skipped: hourly_metrics#${hoursAgo(2)} is still running; ` +
          `${hoursAgo(2)} skipped: hourly_metrics#${hoursAgo(3)} is still running; ` +
          `${hoursAgo(3)} 1 duplicate delivery(ies) ignored; and 1 more`,
      },
    ]);
  });

  it('counts runs that deferred projects for a rate limit: 3 skips a day with one are allowed, a fourth alerts naming rate-limit', () => {
    const deferring = (hours: number, trigger: 'schedule' | 'manual') => {
      const run = scheduledRun('daily_sync', hoursAgo(hours), 'completed', {
        trigger,
        finishedAt: new Date(NOW.getTime() - (hours - 0.1) * 3_600_000).toISOString(),
        rateLimitDeferrals: 120,
      });
      return trigger === 'manual' ? { ...run, runId: `${run.runId}#manual` } : run;
    };
    const overlap = (hours: number) =>
      scheduledRun('daily_sync', hoursAgo(hours), 'skipped', { summary: `skipped: daily_sync#${hoursAgo(10)} is still running` });
    const three = [deferring(10, 'schedule'), overlap(9), overlap(8)];
    expect(skippedRunAlerts('daily_sync', three, DAILY, NOW, RULES)).toEqual([]);
    expect(skippedRunAlerts('daily_sync', [...three, deferring(4, 'manual')], DAILY, NOW, RULES)).toEqual([
      {
        alertId: 'skipped_runs#daily_sync',
        rule: 'skipped_runs',
        title: 'daily_sync skipped 4 runs or deliveries in 24 hours (schedule 0 2 * * *, Europe/Berlin)',
        value: 4,
        level: 0,
        detail:
          `${hoursAgo(4)} rate-limit: 120 project(s) deferred to the next run; ` +
          `${hoursAgo(8)} skipped: daily_sync#${hoursAgo(10)} is still running; ` +
          `${hoursAgo(9)} skipped: daily_sync#${hoursAgo(10)} is still running; and 1 more`,
      },
    ]);
  });

  it('gets worse when the skipped runs double past the allowance', () => {
    const eight = [1, 2, 3, 4, 5, 6, 7, 8].map(skipped);
    const [alert] = skippedRunAlerts('hourly_metrics', eight, HOURLY, NOW, RULES);
    expect(alert).toMatchObject({ value: 8, level: 1, detail: expect.stringMatching(/; and 5 more$/) });
    expect(alert!.detail!.length).toBeLessThanOrEqual(300);
  });
});
