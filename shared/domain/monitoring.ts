/**
 * What an operator needs to know about the jobs themselves: per-job statistics, consecutive failures,
 * slow, long and stuck runs, schedule slots that never ran, and one health status. Pure; `now` is passed in.
 */
import type { FiringAlert } from './alerts.ts';
import { JOB_NAMES, JOB_TYPES, type JobName, type JobRun, type JobType, OPEN_STATUSES } from './job-run.ts';
import {
  DEFAULT_JOB_RUN_RULE_THRESHOLDS,
  ENDED_STATUSES as ENDED,
  FAILED_STATUSES as FAILED,
  failureRateAlerts,
  type JobRunRuleThresholds,
  ranTooOftenAlerts,
  runtimeAnomalyAlerts,
  type SuccessRate,
  skippedRunAlerts,
  successRateAlerts,
} from './job-run-rules.ts';
import type { Project } from './project.ts';
import { expectedSlots, type JobSchedule, nextSlot } from './schedule-slots.ts';
import { plainText } from './untrusted-text.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Each job type's short name, the key of its settings. */
const JOB_NAME_OF = Object.fromEntries(Object.entries(JOB_NAMES).map(([name, jobType]) => [jobType, name])) as Record<JobType, JobName>;

/** A job's two graces: how late its run may start, and how long it may run. */
export interface JobGraces {
  /** How long after its slot a run may start before it is late, and the slot missed if none started. */
  readonly missedRunGraceMinutes: number;
  /** A run longer than this alerts (the job's budget is 9 minutes). */
  readonly longRunMinutes: number;
}

/** What the monitoring flags and pages on: the configuration's `monitoring` block, every key set (defaults applied there). */
export interface MonitoringThresholds extends JobGraces, JobRunRuleThresholds {
  /** A run longer than this is flagged slow. */
  readonly slowRunMinutes: number;
  /** This many failed or timed-out runs in a row alert. */
  readonly consecutiveFailures: number;
  /** A project whose sync failed in this many daily runs in a row alerts. */
  readonly consecutiveProjectFailures: number;
  /**
   * Per job (by the short names the schedules and the CLI use), either grace instead of the one above: the weekly
   * report may start later than the daily sync, say.
   */
  readonly jobs?: Readonly<Partial<Record<JobName, Partial<JobGraces>>>>;
}

/** The configuration's defaults (shared/config.ts applies them). */
export const DEFAULT_MONITORING_THRESHOLDS = {
  slowRunMinutes: 5,
  longRunMinutes: 8,
  consecutiveFailures: 3,
  missedRunGraceMinutes: 30,
  consecutiveProjectFailures: 3,
  ...DEFAULT_JOB_RUN_RULE_THRESHOLDS,
} satisfies MonitoringThresholds;

/** A job's graces: its own where set, the global ones otherwise. */
export function gracesOf(thresholds: MonitoringThresholds, jobType: JobType): JobGraces {
  const own = thresholds.jobs?.[JOB_NAME_OF[jobType]];
  return {
    missedRunGraceMinutes: own?.missedRunGraceMinutes ?? thresholds.missedRunGraceMinutes,
    longRunMinutes: own?.longRunMinutes ?? thresholds.longRunMinutes,
  };
}

export type SystemHealth = 'healthy' | 'degraded' | 'unhealthy';

/**
 * The slots in (`after`, `now` − grace] that have no run: a schedule delivery that never came (a disabled
 * schedule, a failed delivery, a throttled account). Runs are matched by their scheduled time. A slot before
 * a later completed run (an operator's manual run, say) has been made up for, so it no longer counts: the
 * alarm and the alert it raised can clear without waiting for the window to pass it.
 */
export function missedSlots(schedule: JobSchedule, runs: readonly JobRun[], after: Date, now: Date, graceMinutes: number): string[] {
  const ran = new Set(runs.map((run) => run.scheduledTime));
  const madeUpUntil = Math.max(-Infinity, ...runs.filter((run) => run.status === 'completed').map((run) => Date.parse(run.scheduledTime)));
  return expectedSlots(schedule, after, new Date(now.getTime() - graceMinutes * MINUTE_MS)).filter(
    (slot) => !ran.has(slot) && Date.parse(slot) > madeUpUntil,
  );
}

/** Failed or timed-out runs in a row, newest first, up to the last completed one (skipped and open runs do not count). */
export function consecutiveFailuresOf(runs: readonly JobRun[]): number {
  let count = 0;
  for (const run of [...runs].sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime))) {
    if (!ENDED.has(run.status)) continue;
    if (!FAILED.has(run.status)) break;
    count++;
  }
  return count;
}

/** Runs still pending or running past the job's budget: their execution is gone or stuck. */
export function stuckRuns(runs: readonly JobRun[], now: Date, budgetMinutes: number): JobRun[] {
  return runs.filter(
    (run) =>
      (OPEN_STATUSES as readonly string[]).includes(run.status) &&
      now.getTime() - Date.parse(run.startedAt ?? run.createdAt) > budgetMinutes * MINUTE_MS,
  );
}

/** The nearest-rank percentile (the value at rank ⌈fraction × n⌉) of ascending `sorted` values; null for none. */
export function percentileOf(sorted: readonly number[], fraction: number): number | null {
  return sorted.length > 0 ? sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]! : null;
}

/** One UTC day of a job type's runs, as the status page charts it. */
export interface DayFigures {
  /** YYYY-MM-DD, UTC. */
  readonly date: string;
  /** Runs scheduled that day that ended (completed, failed or timed out). */
  readonly runs: number;
  /** Completed out of `runs`; null on a day without any. */
  readonly successRate: number | null;
  readonly p50DurationMs: number | null;
  readonly p95DurationMs: number | null;
}

/** Each of the `days` UTC days ending with `now`'s, oldest first, with the ended runs scheduled that day among `runs`. */
export function dailyFigures(runs: readonly JobRun[], now: Date, days: number): DayFigures[] {
  return Array.from({ length: days }, (_, index) => {
    const date = new Date(now.getTime() - (days - 1 - index) * DAY_MS).toISOString().slice(0, 10);
    const ended = runs.filter((run) => run.scheduledTime.startsWith(date) && ENDED.has(run.status));
    const durations = ended.flatMap((run) => (run.durationMs === undefined ? [] : [run.durationMs])).sort((a, b) => a - b);
    return {
      date,
      runs: ended.length,
      successRate: ended.length > 0 ? ended.filter((run) => run.status === 'completed').length / ended.length : null,
      p50DurationMs: percentileOf(durations, 0.5),
      p95DurationMs: percentileOf(durations, 0.95),
    };
  });
}

export interface JobStatistics {
  readonly jobType: JobType;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly timeouts: number;
  /** Completed out of the runs that ended; null without any. */
  readonly successRate: number | null;
  readonly avgExecutionTimeMs: number | null;
  readonly p50ExecutionTimeMs: number | null;
  readonly p95ExecutionTimeMs: number | null;
  readonly consecutiveFailures: number;
  readonly lastRun: Pick<JobRun, 'runId' | 'status' | 'scheduledTime' | 'durationMs'> | null;
  readonly nextRun: string | null;
}

/** One job type's figures over `runs` (those in the window of interest). */
export function jobStatistics(jobType: JobType, runs: readonly JobRun[], schedule: JobSchedule | undefined, now: Date): JobStatistics {
  const own = runs.filter((run) => run.jobType === jobType).sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime));
  const ended = own.filter((run) => ENDED.has(run.status));
  const durations = ended.flatMap((run) => (run.durationMs === undefined ? [] : [run.durationMs])).sort((a, b) => a - b);
  const completed = ended.filter((run) => run.status === 'completed').length;
  const last = own.find((run) => run.status !== 'skipped');
  return {
    jobType,
    total: own.length,
    completed,
    failed: ended.filter((run) => run.status === 'failed').length,
    timeouts: ended.filter((run) => run.status === 'timeout').length,
    successRate: ended.length > 0 ? completed / ended.length : null,
    avgExecutionTimeMs: durations.length > 0 ? Math.round(durations.reduce((sum, value) => sum + value, 0) / durations.length) : null,
    p50ExecutionTimeMs: percentileOf(durations, 0.5),
    p95ExecutionTimeMs: percentileOf(durations, 0.95),
    consecutiveFailures: consecutiveFailuresOf(own),
    lastRun: last
      ? {
          runId: last.runId,
          status: last.status,
          scheduledTime: last.scheduledTime,
          ...(last.durationMs === undefined ? {} : { durationMs: last.durationMs }),
        }
      : null,
    nextRun: schedule ? nextSlot(schedule, now) : null,
  };
}

export interface DashboardData {
  readonly summary: {
    readonly runningJobs: number;
    /** Failed or timed-out runs in the last 24 hours. */
    readonly recentFailures: number;
    /** Runs in the last 24 hours longer than the slow threshold. */
    readonly slowJobs: number;
    readonly healthStatus: SystemHealth;
  };
  readonly statistics: readonly JobStatistics[];
  /** Why the status is not healthy, one line per reason. */
  readonly reasons: readonly string[];
}

/**
 * The original cron monitor's dashboard, extended. The health status rule:
 * - unhealthy: a job type has failed `consecutiveFailures` (3) times in a row, a slot was missed, or a run is stuck past the budget;
 * - degraded: a run failed or timed out in the last 24 hours, a run was slow, or a job's success rate over the window is
 *   below the success-rate alert line (95%);
 * - healthy: none of these.
 */
export function dashboardData(
  runs: readonly JobRun[],
  options: {
    readonly now: Date;
    readonly schedules: Readonly<Partial<Record<JobType, JobSchedule>>>;
    readonly thresholds: MonitoringThresholds;
    readonly budgetMinutes: number;
    /** Missed slots per job type, from {@link missedSlots}. */
    readonly missed?: Readonly<Partial<Record<JobType, readonly string[]>>>;
  },
): DashboardData {
  const { now, thresholds } = options;
  const dayAgo = now.getTime() - DAY_MS;
  const lastDay = runs.filter((run) => Date.parse(run.scheduledTime) > dayAgo);
  const statistics = JOB_TYPES.map((jobType) => jobStatistics(jobType, runs, options.schedules[jobType], now));
  const stuck = stuckRuns(runs, now, options.budgetMinutes);
  const slow = lastDay.filter((run) => (run.durationMs ?? 0) > thresholds.slowRunMinutes * MINUTE_MS);
  const recentFailures = lastDay.filter((run) => FAILED.has(run.status));

  const unhealthy = [
    ...statistics
      .filter((job) => job.consecutiveFailures >= thresholds.consecutiveFailures)
      .map((job) => `${job.jobType} failed ${job.consecutiveFailures} runs in a row`),
    ...Object.entries(options.missed ?? {}).flatMap(([jobType, slots]) =>
      slots && slots.length > 0 ? [`${jobType} missed ${slots.length} slot(s): ${slots.join(', ')}`] : [],
    ),
    ...stuck.map((run) => `${run.runId} is still ${run.status} past the ${options.budgetMinutes}-minute budget`),
  ];
  const degraded = [
    ...(recentFailures.length > 0 ? [`${recentFailures.length} run(s) failed or timed out in the last 24 hours`] : []),
    ...(slow.length > 0 ? [`${slow.length} run(s) took longer than ${thresholds.slowRunMinutes} minutes in the last 24 hours`] : []),
    ...statistics
      .filter((job) => job.successRate !== null && job.successRate * 100 < thresholds.successRateAlertPercent)
      .map((job) => `${job.jobType} succeeded in ${((job.successRate ?? 0) * 100).toFixed(1)}% of runs`),
  ];
  return {
    summary: {
      runningJobs: runs.filter((run) => (OPEN_STATUSES as readonly string[]).includes(run.status)).length,
      recentFailures: recentFailures.length,
      slowJobs: slow.length,
      healthStatus: unhealthy.length > 0 ? 'unhealthy' : degraded.length > 0 ? 'degraded' : 'healthy',
    },
    statistics,
    reasons: [...unhealthy, ...degraded],
  };
}

/**
 * The watchdog's alerts: per job type a failure streak (worse as it doubles), a failure rate, a success rate
 * below the alert line, runs beyond what the schedule allows, too many skipped runs, and missed slots (worse
 * with each one); each run of the last 24 hours longer than its job's limit, started later than its job's
 * grace after its slot, or far from its job's usual duration; and each stuck run.
 * @param runs every job's runs the rules look at: the window's, and each job's newest ones before it (the
 * failure rate and the runtime median reach back past the window for a job that runs daily or weekly).
 */
export function jobAlerts(
  runs: readonly JobRun[],
  missed: Readonly<Partial<Record<JobType, readonly string[]>>>,
  options: {
    readonly now: Date;
    readonly thresholds: MonitoringThresholds;
    readonly budgetMinutes: number;
    readonly watchedForLateness: readonly JobType[];
    readonly schedules: Readonly<Record<JobType, JobSchedule>>;
    /** Each job's success rate as the cron monitor computed it (one sample for the alert, the metric and the status page). */
    readonly successRates: Readonly<Record<JobType, SuccessRate>>;
  },
): FiringAlert[] {
  const { now, thresholds } = options;
  const alerts: FiringAlert[] = [];
  for (const jobType of JOB_TYPES) {
    const own = runs.filter((run) => run.jobType === jobType).sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime));
    const schedule = options.schedules[jobType];
    alerts.push(
      ...failureRateAlerts(jobType, own, thresholds),
      ...successRateAlerts(jobType, options.successRates[jobType], thresholds),
      ...runtimeAnomalyAlerts(own, now, thresholds),
      ...ranTooOftenAlerts(jobType, own, schedule, now, thresholds),
      ...skippedRunAlerts(jobType, own, schedule, now, thresholds),
    );
    const streak = consecutiveFailuresOf(own);
    if (streak >= thresholds.consecutiveFailures) {
      const last = own.find((run) => FAILED.has(run.status));
      alerts.push({
        alertId: `consecutive_failures#${jobType}`,
        rule: 'consecutive_failures',
        title: `${jobType} failed ${streak} runs in a row`,
        value: streak,
        level: Math.floor(Math.log2(streak / thresholds.consecutiveFailures)),
        detail: `last: ${last?.runId} ${last?.status}${last?.errorName ? `: ${last.errorName}: ${last.errorMessage ?? ''}` : ''}`.slice(
          0,
          300,
        ),
      });
    }
    const slots = missed[jobType] ?? [];
    if (slots.length > 0) {
      alerts.push({
        alertId: `missed_run#${jobType}`,
        rule: 'missed_run',
        title: `${jobType} missed ${slots.length} scheduled run(s)`,
        value: slots.length,
        level: slots.length,
        detail: `no run for ${slots.join(', ')} (${gracesOf(thresholds, jobType).missedRunGraceMinutes} minutes' grace)`,
      });
    }
  }
  const dayAgo = now.getTime() - DAY_MS;
  for (const run of runs) {
    const { longRunMinutes } = gracesOf(thresholds, run.jobType);
    if (Date.parse(run.scheduledTime) <= dayAgo || (run.durationMs ?? 0) <= longRunMinutes * MINUTE_MS) continue;
    const minutes = Math.round((run.durationMs! / MINUTE_MS) * 10) / 10;
    alerts.push({
      alertId: `long_run#${run.runId}`,
      rule: 'long_run',
      title: `${run.runId} ran ${minutes} minutes`,
      value: minutes,
      level: 0,
      detail: `over the ${longRunMinutes}-minute limit; ended ${run.status}`,
    });
  }

  for (const run of runs) {
    const lateMs = Date.parse(run.createdAt) - Date.parse(run.scheduledTime);
    // A run recorded after `now` is a replay of an earlier hour (`--at`), not a late delivery.
    if (
      run.trigger !== 'schedule' ||
      !options.watchedForLateness.includes(run.jobType) ||
      Date.parse(run.scheduledTime) <= dayAgo ||
      Date.parse(run.createdAt) > now.getTime()
    )
      continue;
    if (lateMs <= gracesOf(thresholds, run.jobType).missedRunGraceMinutes * MINUTE_MS) continue;
    const minutes = Math.round(lateMs / MINUTE_MS);
    alerts.push({
      alertId: `late_run#${run.runId}`,
      rule: 'late_run',
      title: `${run.runId} started ${minutes} minutes after its slot`,
      value: minutes,
      level: 0,
      detail: `Scheduler delivered it late (retries after failed deliveries, or throttling)`,
    });
  }
  for (const run of stuckRuns(runs, now, options.budgetMinutes)) {
    alerts.push({
      alertId: `stuck_run#${run.runId}`,
      rule: 'stuck_run',
      title: `${run.runId} is stuck ${run.status}`,
      value: 0,
      level: 0,
      detail: `started ${run.startedAt ?? run.createdAt}, past the ${options.budgetMinutes}-minute budget`,
    });
  }
  return alerts;
}

/**
 * One alert per project whose sync has failed in `consecutiveProjectFailures` runs in a row (worse as
 * the streak doubles). It stops firing, and so resolves, once the project syncs again.
 */
export function projectSyncAlerts(
  projects: readonly Pick<Project, 'projectId' | 'failure'>[],
  options: { readonly now: Date; readonly thresholds: Pick<MonitoringThresholds, 'consecutiveProjectFailures'> },
): FiringAlert[] {
  const threshold = options.thresholds.consecutiveProjectFailures;
  return projects.flatMap(({ projectId, failure }) => {
    if (!failure || failure.consecutiveRuns < threshold) return [];
    const failingFor = Math.floor((options.now.getTime() - Date.parse(failure.since)) / DAY_MS);
    return [
      {
        alertId: `project_sync_failing#${projectId}`,
        rule: 'project_sync_failing' as const,
        title: `${projectId} failed to sync in ${failure.consecutiveRuns} runs in a row`,
        value: failure.consecutiveRuns,
        level: Math.floor(Math.log2(failure.consecutiveRuns / threshold)),
        detail: plainText(`failing since ${failure.since} (${failingFor} day(s)); last: ${failure.lastError}`, 300),
      },
    ];
  });
}
