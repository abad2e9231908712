/**
 * The watchdog's rules on a job's run history beyond streaks and lateness: success rate, failure rate,
 * runtime anomalies, runs beyond what the schedule allows, and skipped runs. Each turns one job's runs
 * into firing alerts; the notification policy (fire once, cooldown, worse, resolved) does the rest. Pure;
 * `now` is passed in.
 */
import type { FiringAlert } from './alerts.ts';
import { type JobRun, type JobType, runIdOf } from './job-run.ts';
import { expectedSlots, type JobSchedule } from './schedule-slots.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DETAIL_LENGTH = 300;

/** A run that failed: its execution ended in an error or ran out of time. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['failed', 'timeout']);
/**
 * A run with an outcome. Skipped runs did no work (they yielded to the run they name, whose own outcome
 * counts), and open runs have no outcome yet (the stuck rule watches them): counting either would blame or
 * credit the job for something it did not do.
 */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'timeout']);

export interface JobRunRuleThresholds {
  /** Days of ended runs the success rate covers. */
  readonly successRateWindowDays: number;
  /** The success rate covers at least this many ended runs, reaching back before the window; with fewer it is not judged. */
  readonly successRateMinRuns: number;
  /** A success rate strictly below this percentage alerts. */
  readonly successRateAlertPercent: number;
  /** This many failed or timed-out runs among the last {@link failureRateRuns} ended ones alert. */
  readonly failureRateFailures: number;
  readonly failureRateRuns: number;
  /** A completed run shorter than this fraction of the job's median duration alerts. */
  readonly fastRunFraction: number;
  /** A completed run longer than this multiple of the job's median duration alerts, and a running one already longer. */
  readonly slowRunMultiple: number;
  /** The median covers the job's last this many completed runs before the run judged. */
  readonly runtimeHistoryRuns: number;
  /** Fewer completed runs than this before a run and its duration is not judged. */
  readonly runtimeMinHistory: number;
  /** Hours over which a job's runs are counted against its schedule's slots. */
  readonly ranTooOftenWindowHours: number;
  /** Manual runs of one job allowed in that window. */
  readonly manualRunsAllowed: number;
  /** More skips (overlaps, ignored duplicate deliveries, runs deferring for a rate limit) of one job in 24 hours than this alert. */
  readonly skippedRunsPerDay: number;
}

/**
 * - success rate: 7 days, 20 runs and 95%, the original system's alert line (its target is 99.5%);
 * - failure rate: 3 of the last 10 ended runs, the flapping a streak of 3 never sees;
 * - runtime: a tenth of the median catches a sync that synced nothing (2 s against 45 s) yet passes a quiet day
 *   (a sync with nothing changed took a fifth of a full one: 1.2 s against 6.1 s, docs/benchmarks.md); three
 *   times the median flags a daily sync of 45 s at 2¼ minutes, long before the 8-minute limit, and the cold
 *   start every run of these rarely-run functions pays is already in the median; 20 runs are about three weeks
 *   of daily history, and from 5 runs the median is a usual run even with two odd ones among them;
 * - ran too often: the schedule's slots of the last 24 hours and 3 manual runs (a smoke test and two reruns);
 * - skipped: more than 3 a day (one overlap now and then is the lock doing its job, one deferral a day is pacing).
 */
export const DEFAULT_JOB_RUN_RULE_THRESHOLDS: JobRunRuleThresholds = {
  successRateWindowDays: 7,
  successRateMinRuns: 20,
  successRateAlertPercent: 95,
  failureRateFailures: 3,
  failureRateRuns: 10,
  fastRunFraction: 0.1,
  slowRunMultiple: 3,
  runtimeHistoryRuns: 20,
  runtimeMinHistory: 5,
  ranTooOftenWindowHours: 24,
  manualRunsAllowed: 3,
  skippedRunsPerDay: 3,
};

/** The runs of one job with an outcome, newest first. */
function endedNewestFirst(runs: readonly JobRun[]): JobRun[] {
  return runs.filter((run) => ENDED_STATUSES.has(run.status)).sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime));
}

/**
 * The ended runs a job's success rate covers, newest first: those scheduled in the last `windowDays`, or the
 * newest `minRuns` when the window holds fewer (a daily job has 7 a week, too few for a rate), or all there are.
 */
export function successRateSample(runs: readonly JobRun[], now: Date, windowDays: number, minRuns: number): JobRun[] {
  const ended = endedNewestFirst(runs);
  const inWindow = ended.filter((run) => Date.parse(run.scheduledTime) > now.getTime() - windowDays * DAY_MS);
  return inWindow.length >= minRuns ? inWindow : ended.slice(0, minRuns);
}

/** The original system's success-rate target: what the weekly report and the status page hold each job to. */
export const SUCCESS_RATE_TARGET_PERCENT = 99.5;

/** A job's success rate over {@link successRateSample}. */
export interface SuccessRate {
  /** Completed runs out of {@link runs}. */
  readonly completed: number;
  /** Ended runs covered. */
  readonly runs: number;
  /** The oldest covered run's scheduled time; null without any. */
  readonly since: string | null;
  /** Completed out of ended, in percent to one decimal; null when fewer than `successRateMinRuns` ended (not judged). */
  readonly percent: number | null;
}

/** A job's success rate as the watchdog judges it, from its runs (the window's and its newest ones before it). */
export function successRateOf(
  runs: readonly JobRun[],
  now: Date,
  thresholds: Pick<JobRunRuleThresholds, 'successRateWindowDays' | 'successRateMinRuns'>,
): SuccessRate {
  const sample = successRateSample(runs, now, thresholds.successRateWindowDays, thresholds.successRateMinRuns);
  const completed = sample.filter((run) => run.status === 'completed').length;
  return {
    completed,
    runs: sample.length,
    since: sample.at(-1)?.scheduledTime ?? null,
    percent: sample.length >= thresholds.successRateMinRuns ? Math.round((completed / sample.length) * 1000) / 10 : null,
  };
}

/**
 * The job's success rate alert: below the threshold over {@link successRateSample}; it resolves when the rate
 * recovers. A job with fewer than `successRateMinRuns` ended runs is not judged: over fewer than 20 runs a
 * single failure moves the rate by more than 5 points, and single failures are the streak and failure-rate
 * rules' to judge.
 * @param rate the job's rate as the cron monitor computed it: the sample its metric and the status page show.
 */
export function successRateAlerts(
  jobType: JobType,
  rate: SuccessRate,
  thresholds: Pick<JobRunRuleThresholds, 'successRateAlertPercent'>,
): FiringAlert[] {
  const { completed, runs: ended, since, percent } = rate;
  // Compared in whole runs, so 19 of 20 is exactly 95%, not a float a hair below it.
  if (percent === null || completed * 100 >= thresholds.successRateAlertPercent * ended) return [];
  return [
    {
      alertId: `low_success_rate#${jobType}`,
      rule: 'low_success_rate',
      title: `${jobType} succeeded in ${percent}% of its last ${ended} runs`,
      value: percent,
      // Worse for every further 5 points below the threshold.
      level: Math.floor((thresholds.successRateAlertPercent - percent) / 5),
      detail: `${completed} of ${ended} ended runs completed since ${since}, below the ${thresholds.successRateAlertPercent}% alert line`,
    },
  ];
}

/** Skips of a job for one reason: when, how many, and why. */
interface Skips {
  readonly at: number;
  readonly count: number;
  /** The run's scheduled time and why: the overlap its summary names, ignored duplicate deliveries, or a rate limit. */
  readonly reason: string;
}

/**
 * The skips a run stands for: itself when it yielded to the run holding the lock, each ignored duplicate delivery
 * of its slot, and one for a run that deferred projects to the next run for a GitHub rate limit, however many
 * projects (pacing defers some by design once the budget is short, so a skip per project would page on every
 * large run; each project's reason is its own github_sync event). A deferral counts from when the run ended,
 * which recorded it; the others from the slot.
 */
function skipsOf(run: JobRun): Skips[] {
  const at = Date.parse(run.scheduledTime);
  const deliveries = run.duplicateDeliveries ?? 0;
  const deferrals = run.rateLimitDeferrals ?? 0;
  return [
    ...(run.status === 'skipped' ? [{ at, count: 1, reason: `${run.scheduledTime} ${run.summary ?? 'skipped'}` }] : []),
    ...(deliveries > 0 ? [{ at, count: deliveries, reason: `${run.scheduledTime} ${deliveries} duplicate delivery(ies) ignored` }] : []),
    ...(deferrals > 0
      ? [
          {
            at: Date.parse(run.finishedAt ?? run.scheduledTime),
            count: 1,
            reason: `${run.scheduledTime} rate-limit: ${deferrals} project(s) deferred to the next run`,
          },
        ]
      : []),
  ];
}

/** The skips of `runs` in (`from`, `to`], newest first. */
function skipsBetween(runs: readonly JobRun[], from: Date, to: Date): Skips[] {
  return runs
    .flatMap(skipsOf)
    .filter(({ at }) => at > from.getTime() && at <= to.getTime())
    .sort((a, b) => b.at - a.at);
}

/**
 * Skipped runs, ignored duplicate deliveries and runs that deferred projects for a rate limit in (`from`, `to`]:
 * what the SkippedRuns metric counts each hour.
 */
export function skippedRunsBetween(runs: readonly JobRun[], from: Date, to: Date): number {
  return skipsBetween(runs, from, to).reduce((sum, { count }) => sum + count, 0);
}

/**
 * The failures among `ended` (newest first) outside runs of `streakLength` or more failures in a row: those
 * the consecutive-failure rule pages on, so one outage is not paged twice, nor again as it recovers.
 */
function failuresOutsideStreaks(ended: readonly JobRun[], streakLength: number): JobRun[] {
  const outside: JobRun[] = [];
  let streak: JobRun[] = [];
  for (const run of [...ended, undefined]) {
    if (run && FAILED_STATUSES.has(run.status)) {
      streak.push(run);
      continue;
    }
    if (streak.length < streakLength) outside.push(...streak);
    streak = [];
  }
  return outside;
}

/**
 * X failed or timed-out runs among the job's last Y ended ones (worse as the count doubles): failures
 * scattered among successes, which a streak never counts. A streak long enough for the consecutive-failure
 * rule is left to it.
 */
export function failureRateAlerts(
  jobType: JobType,
  runs: readonly JobRun[],
  thresholds: JobRunRuleThresholds & { readonly consecutiveFailures: number },
): FiringAlert[] {
  const recent = endedNewestFirst(runs).slice(0, thresholds.failureRateRuns);
  const failures = failuresOutsideStreaks(recent, thresholds.consecutiveFailures);
  if (failures.length < thresholds.failureRateFailures) return [];
  return [
    {
      alertId: `failure_rate#${jobType}`,
      rule: 'failure_rate',
      title: `${jobType} failed ${failures.length} of its last ${recent.length} runs`,
      value: failures.length,
      level: Math.floor(Math.log2(failures.length / thresholds.failureRateFailures)),
      detail: `failed: ${failures.map((run) => `${run.runId} ${run.status}`).join(', ')}`.slice(0, DETAIL_LENGTH),
    },
  ];
}

/** The median (nearest rank) of the durations of the completed runs among `runs` (one job's) before `run`; null without enough. */
export function medianDurationBefore(run: JobRun, runs: readonly JobRun[], thresholds: JobRunRuleThresholds): number | null {
  const history = runs
    .filter((other) => other.status === 'completed' && other.durationMs !== undefined && other.scheduledTime < run.scheduledTime)
    .sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime))
    .slice(0, thresholds.runtimeHistoryRuns)
    .map((other) => other.durationMs!)
    .sort((a, b) => a - b);
  return history.length < thresholds.runtimeMinHistory ? null : history[Math.ceil(history.length / 2) - 1]!;
}

/**
 * How long a run took, or, for one still running, how long it has run by `now`: a run far slower than usual is
 * worth a page before it reaches the time limit, not only once it ends. Undefined when neither is known.
 */
function runtimeOf(run: JobRun, now: Date): number | undefined {
  if (run.status === 'running' && run.startedAt !== undefined) return now.getTime() - Date.parse(run.startedAt);
  return run.status === 'completed' ? run.durationMs : undefined;
}

/**
 * Each completed run of the last 24 hours among `runs` (one job's) far faster or far slower than the job's
 * median, and each running one already far slower: a sync that took 2 s when it usually takes 45 s has probably
 * synced nothing, and one running for 3 times its usual 45 s is in trouble minutes before its 8-minute limit.
 * The alert of a running run is the one it keeps when it ends slow (fired once), and resolves when it ends usual.
 * Failed runs are left to the failure rules (a failure is fast by nature); a run still running is not fast yet.
 */
export function runtimeAnomalyAlerts(runs: readonly JobRun[], now: Date, thresholds: JobRunRuleThresholds): FiringAlert[] {
  return runs.flatMap((run) => {
    const runtime = runtimeOf(run, now);
    if (runtime === undefined || Date.parse(run.scheduledTime) <= now.getTime() - DAY_MS) return [];
    const median = medianDurationBefore(run, runs, thresholds);
    if (median === null) return [];
    const running = run.status === 'running';
    const fast = !running && runtime < thresholds.fastRunFraction * median;
    if (!fast && runtime <= thresholds.slowRunMultiple * median) return [];
    const bound = fast ? `under ${thresholds.fastRunFraction} times` : `over ${thresholds.slowRunMultiple} times`;
    const took = running ? `has been running for ${secondsOf(runtime)}` : `took ${secondsOf(runtime)}`;
    return [
      {
        alertId: `runtime_anomaly#${run.runId}`,
        rule: 'runtime_anomaly' as const,
        title: `${run.runId} ${took}, ${fast ? 'far faster' : 'far slower'} than its usual ${secondsOf(median)}`,
        value: runtime,
        level: 0,
        detail:
          `${bound} the median of the job's last ${thresholds.runtimeHistoryRuns} completed runs; ` +
          (running ? `still running since ${run.startedAt}` : `processed ${run.recordsProcessed}`),
      },
    ];
  });
}

/** A run of one of the schedule's slots (a redriven one included), not a manual run. */
function isScheduledRun(run: JobRun): boolean {
  return run.runId === runIdOf({ jobType: run.jobType, trigger: 'schedule', scheduledTime: run.scheduledTime });
}

/**
 * More runs of a job in the window than its schedule allows: scheduled runs beyond its slots (a duplicated
 * schedule; two deliveries of one slot are one run, so they never count twice), or manual runs beyond the
 * allowance (a trigger loop). Skipped runs count: a loop the overlap lock keeps skipping is still a loop.
 */
export function ranTooOftenAlerts(
  jobType: JobType,
  runs: readonly JobRun[],
  schedule: JobSchedule,
  now: Date,
  thresholds: JobRunRuleThresholds,
): FiringAlert[] {
  const hours = thresholds.ranTooOftenWindowHours;
  const after = new Date(now.getTime() - hours * HOUR_MS);
  const inWindow = runs.filter((run) => Date.parse(run.scheduledTime) > after.getTime());
  const scheduled = inWindow.filter(isScheduledRun).length;
  const manual = inWindow.length - scheduled;
  const slots = expectedSlots(schedule, after, now).length;
  if (scheduled <= slots && manual <= thresholds.manualRunsAllowed) return [];
  const allowed = slots + thresholds.manualRunsAllowed;
  return [
    {
      alertId: `ran_too_often#${jobType}`,
      rule: 'ran_too_often',
      title: `${jobType} ran ${inWindow.length} times in ${hours} hours`,
      value: inWindow.length,
      level: Math.max(0, Math.floor(Math.log2(inWindow.length / Math.max(1, allowed)))),
      detail:
        `${scheduled} scheduled for ${slots} slot(s) of ${schedule.cron} (${schedule.timeZone}); ` +
        `${manual} manual, ${thresholds.manualRunsAllowed} allowed`,
    },
  ];
}

/**
 * More skips of a job in the last 24 hours than allowed, naming its schedule and each reason: an overlap with the
 * run still holding the lock, an ignored duplicate delivery of a slot, or projects deferred for a rate limit.
 */
export function skippedRunAlerts(
  jobType: JobType,
  runs: readonly JobRun[],
  schedule: JobSchedule,
  now: Date,
  thresholds: JobRunRuleThresholds,
): FiringAlert[] {
  const lastDay = skipsBetween(runs, new Date(now.getTime() - DAY_MS), now);
  const skipped = lastDay.reduce((sum, { count }) => sum + count, 0);
  if (skipped <= thresholds.skippedRunsPerDay) return [];
  return [
    {
      alertId: `skipped_runs#${jobType}`,
      rule: 'skipped_runs',
      title: `${jobType} skipped ${skipped} runs or deliveries in 24 hours (schedule ${schedule.cron}, ${schedule.timeZone})`,
      value: skipped,
      level: Math.floor(Math.log2(skipped / (thresholds.skippedRunsPerDay + 1))),
      detail: listedWithin(
        lastDay.map(({ reason }) => reason),
        DETAIL_LENGTH,
      ),
    },
  ];
}

/** As many whole items as fit in `maxLength` characters, joined by `; `, and a count of the rest. */
function listedWithin(items: readonly string[], maxLength: number): string {
  const more = (count: number) => (count > 0 ? `; and ${count} more` : '');
  let listed = items.length;
  while (listed > 1 && items.slice(0, listed).join('; ').length + more(items.length - listed).length > maxLength) listed--;
  return `${items.slice(0, listed).join('; ')}${more(items.length - listed)}`;
}

function secondsOf(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 100) / 10} s`;
}
