/**
 * The original cron monitor's queries, over JobHistory and SyncEvents through their indexes (never a
 * Scan): the dashboard, per-job statistics since a time, recent events, and the health metrics.
 */
import { JOB_TYPES, type JobRun, type JobType, OPEN_STATUSES } from '../domain/job-run.ts';
import { ENDED_STATUSES, type SuccessRate, successRateOf } from '../domain/job-run-rules.ts';
import {
  type DashboardData,
  dashboardData,
  gracesOf,
  type JobStatistics,
  jobStatistics,
  type MonitoringThresholds,
  missedSlots,
  type SystemHealth,
  stuckRuns,
} from '../domain/monitoring.ts';
import type { JobSchedule } from '../domain/schedule-slots.ts';
import type { EventType, SyncEvent } from '../domain/sync-event.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';

const DAY_MS = 86_400_000;
/** The watchdog's window: a week of runs holds every job type's recent history, the weekly one's last run included. */
const WINDOW_DAYS = 8;
/** Job types whose missed and late slots the monitor looks for; the hourly job is watched by a CloudWatch alarm instead. */
export const WATCHED_FOR_MISSED_RUNS: readonly JobType[] = ['daily_sync', 'weekly_report'];

export interface CronMonitorOptions {
  readonly schedules: Readonly<Record<JobType, JobSchedule>>;
  readonly thresholds: MonitoringThresholds;
  /** The job's budget (the state machines' timeout). */
  readonly budgetMinutes: number;
  /**
   * Days of runs the dashboard and the health metrics cover (the status page shows one window everywhere).
   * @default 8
   */
  readonly windowDays?: number;
}

export interface HealthMetrics {
  readonly healthStatus: SystemHealth;
  readonly reasons: readonly string[];
  readonly consecutiveFailures: Readonly<Record<JobType, number>>;
  readonly missedRuns: Readonly<Record<JobType, readonly string[]>>;
  readonly stuckRuns: readonly Pick<JobRun, 'runId' | 'status' | 'startedAt'>[];
  /** The newest completed run's scheduled time per job type, null when none in the window. */
  readonly lastSuccess: Readonly<Record<JobType, string | null>>;
}

/** What the monitor read and derived for one instant. */
export interface MonitorView {
  readonly runs: JobRun[];
  readonly missed: Partial<Record<JobType, string[]>>;
  readonly dashboard: DashboardData;
  /** Each job's success rate as the watchdog judges it (its window, reaching back to its minimum of runs). */
  readonly successRates: Readonly<Record<JobType, SuccessRate>>;
}

export class CronMonitor {
  constructor(
    private readonly stores: { readonly runs: JobHistoryStore; readonly events: SyncEventsStore },
    private readonly options: CronMonitorOptions,
  ) {}

  get budgetMinutes(): number {
    return this.options.budgetMinutes;
  }

  get thresholds(): MonitoringThresholds {
    return this.options.thresholds;
  }

  /** Days of runs {@link view} reads. */
  get windowDays(): number {
    return this.options.windowDays ?? WINDOW_DAYS;
  }

  /** The dashboard over the window's runs, with the slots missed in it. */
  async getDashboardData(now: Date): Promise<DashboardData> {
    return (await this.view(now)).dashboard;
  }

  /** Each job type's statistics over the runs scheduled since `since`. */
  async getJobStats(since: Date, now: Date): Promise<JobStatistics[]> {
    const runs = await this.stores.runs.listScheduledBetween(since, now);
    return JOB_TYPES.map((jobType) => jobStatistics(jobType, runs, this.options.schedules[jobType], now));
  }

  /** The newest events first, of one type or of all. */
  async getRecentEvents(limit: number, eventType?: EventType): Promise<SyncEvent[]> {
    return this.stores.events.listRecent({ limit, eventType });
  }

  async getHealthMetrics(now: Date): Promise<HealthMetrics> {
    return this.healthOf(await this.view(now), now);
  }

  /** The health metrics of a {@link view} already read (the status page shows both without reading twice). */
  healthOf(view: MonitorView, now: Date): HealthMetrics {
    const { runs, missed, dashboard } = view;
    const byType = <T>(value: (jobType: JobType) => T) =>
      Object.fromEntries(JOB_TYPES.map((jobType) => [jobType, value(jobType)])) as Record<JobType, T>;
    return {
      healthStatus: dashboard.summary.healthStatus,
      reasons: dashboard.reasons,
      consecutiveFailures: byType((jobType) => dashboard.statistics.find((job) => job.jobType === jobType)!.consecutiveFailures),
      missedRuns: byType((jobType) => missed[jobType] ?? []),
      stuckRuns: stuckRuns(runs, now, this.options.budgetMinutes).map(({ runId, status, startedAt }) => ({ runId, status, startedAt })),
      lastSuccess: byType(
        (jobType) =>
          runs
            .filter((run) => run.jobType === jobType && run.status === 'completed')
            .map((run) => run.scheduledTime)
            .sort()
            .at(-1) ?? null,
      ),
    };
  }

  /**
   * The window's runs (open ones included, however old), its missed slots, and the dashboard over them.
   * @param watcherRunId the run asking (the hourly watchdog), left out: it is running by definition.
   */
  async view(now: Date, watcherRunId?: string): Promise<MonitorView> {
    const after = new Date(now.getTime() - this.windowDays * DAY_MS);
    const { thresholds } = this.options;
    // The success rate's window may reach past the monitor's (up to 90 days against 8): one read covers both.
    const rateAfter = new Date(now.getTime() - thresholds.successRateWindowDays * DAY_MS);
    const [scheduled, newest, ...open] = await Promise.all([
      this.stores.runs.listScheduledBetween(new Date(Math.min(after.getTime(), rateAfter.getTime())), now),
      Promise.all(JOB_TYPES.map((jobType) => this.newestEndedRuns(jobType, now, thresholds.successRateMinRuns))),
      ...OPEN_STATUSES.map((status) => this.stores.runs.listByStatus(status, '\uffff')),
    ]);
    const recent = scheduled.filter((run) => Date.parse(run.scheduledTime) > after.getTime());
    const runs = [...new Map([...recent, ...open.flat()].map((run) => [run.runId, run])).values()].filter(
      (run) => run.runId !== watcherRunId,
    );
    // Slots before the first recorded run of any job predate the deployment (or its history): not missed.
    const firstRun = Math.min(...runs.map((run) => Date.parse(run.createdAt)));
    const since = new Date(Math.max(after.getTime(), Number.isFinite(firstRun) ? firstRun : now.getTime()));
    const missed = Object.fromEntries(
      WATCHED_FOR_MISSED_RUNS.map((jobType) => [
        jobType,
        missedSlots(
          this.options.schedules[jobType],
          runs.filter((run) => run.jobType === jobType),
          since,
          now,
          gracesOf(this.options.thresholds, jobType).missedRunGraceMinutes,
        ),
      ]),
    );
    const dashboard = dashboardData(runs, {
      now,
      schedules: this.options.schedules,
      thresholds: this.options.thresholds,
      budgetMinutes: this.options.budgetMinutes,
      missed,
    });
    // One sample per job for the metric, the alert, the status page and the weekly report: the rate window's
    // runs and the job's newest ended ones before it (successRateSample picks from them).
    const successRates = Object.fromEntries(
      JOB_TYPES.map((jobType, index) => {
        const own = [...newest[index]!, ...scheduled.filter((run) => run.jobType === jobType)];
        return [jobType, successRateOf([...new Map(own.map((run) => [run.runId, run])).values()], now, thresholds)];
      }),
    ) as Record<JobType, SuccessRate>;
    return { runs, missed, dashboard, successRates };
  }

  /**
   * A job's newest runs scheduled by `now`, holding at least `minRuns` ended ones (or its whole history): a
   * Query by job type with a Limit, doubled while skipped and open runs (or, for a replay, runs after `now`)
   * leave too few. One Query of 20 rows for a job that rarely skips, however seldom it runs (a weekly job's
   * 20 runs are 20 weeks).
   */
  private async newestEndedRuns(jobType: JobType, now: Date, minRuns: number): Promise<JobRun[]> {
    for (let limit = minRuns; ; limit *= 2) {
      const read = await this.stores.runs.listRecent({ jobType, limit });
      const byNow = read.filter((run) => Date.parse(run.scheduledTime) <= now.getTime());
      if (read.length < limit || byNow.filter((run) => ENDED_STATUSES.has(run.status)).length >= minRuns) return byNow;
    }
  }
}
