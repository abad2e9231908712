/**
 * `cto-jobs status`: the cron monitor's dashboard as text, JSON, or a self-contained HTML status page
 * (lib/cli/status-page.ts), all over one window of days: each job's figures and its days (success rate, p50
 * and p95 duration), the failures in the window with their errors, recent events, and the projects worst first, each
 * with its lag: how long since its data was last confirmed (a sync finished, or a webhook delivery applied).
 */
import { freshnessOf, isStale, type ProjectFreshness } from '../../shared/domain/freshness.ts';
import { JOB_TYPES, type JobRun, type JobType } from '../../shared/domain/job-run.ts';
import { SUCCESS_RATE_TARGET_PERCENT, type SuccessRate } from '../../shared/domain/job-run-rules.ts';
import { type DashboardData, type DayFigures, dailyFigures, type MonitoringThresholds } from '../../shared/domain/monitoring.ts';
import type { SyncFailure } from '../../shared/domain/project.ts';
import type { HealthStatus, HealthThresholds, ProjectStatus as WeeklyProjectStatus } from '../../shared/domain/project-health.ts';
import type { JobSchedule } from '../../shared/domain/schedule-slots.ts';
import type { SyncEvent } from '../../shared/domain/sync-event.ts';
import { plainText } from '../../shared/domain/untrusted-text.ts';
import { CronMonitor, type HealthMetrics } from '../../shared/monitoring/cron-monitor.ts';
import type { CliStores } from './deployed.ts';
import { table } from './format.ts';
import { healthOfProjects, type ProjectHealth, type SyncedHealth } from './health.ts';
import { durationText, exactTime, relativeTime } from './time-text.ts';

export { statusPageHtml } from './status-page.ts';

const DAY_MS = 86_400_000;
/** The status's window: two weeks show a weekly job's last two runs and a trend in the daily one's. */
export const STATUS_WINDOW_DAYS = 14;
/** Columns the text output fits in. */
const TEXT_COLUMNS = 100;

export interface StatusReport {
  readonly generatedAt: string;
  /** The days every figure of the report covers. */
  readonly windowDays: number;
  readonly dashboard: DashboardData;
  readonly health: HealthMetrics;
  readonly daily: Readonly<Record<JobType, readonly DayFigures[]>>;
  /** Each job's success rate as the watchdog judges it, against the alert line and the 99.5% target. */
  readonly successRate: {
    readonly windowDays: number;
    readonly minRuns: number;
    readonly alertPercent: number;
    readonly targetPercent: number;
    readonly jobs: Readonly<Record<JobType, SuccessRate>>;
  };
  /** The window's failed and timed-out runs, newest first (at most 10). */
  readonly recentFailures: readonly JobRun[];
  readonly recentEvents: readonly SyncEvent[];
  /** The hours past which a project is stale (the hourly job's `staleAfterHours`), when the caller knows them. */
  readonly staleAfterHours?: number;
  /** Worst first: see {@link worstFirst}. */
  readonly projects: readonly ProjectStatus[];
}

/** When a project's data was last confirmed and its lag at the report's time, stale or not when the limit is known. */
export type ProjectLag = Omit<ProjectFreshness, 'projectId'> & { readonly stale?: boolean };

export interface ProjectStatus {
  readonly projectId: string;
  /** Its latest daily health (as `cto-jobs health` shows it, in short); null before its first daily snapshot. */
  readonly health: Pick<SyncedHealth, 'score' | 'formulaVersion' | 'classification' | 'date' | 'syncedAt'> | null;
  /** The weekly health check's latest classification; null before the first weekly run that saw the project. */
  readonly weeklyStatus: Pick<WeeklyProjectStatus, 'status' | 'score' | 'date'> | null;
  /** Set while the daily sync fails on the project run after run. */
  readonly syncFailure?: Omit<SyncFailure, 'lastRunId'>;
  readonly lag: ProjectLag;
}

export async function gatherStatus(
  stores: Pick<CliStores, 'runs' | 'events' | 'projects' | 'snapshots'>,
  options: {
    readonly schedules: Readonly<Record<JobType, JobSchedule>>;
    readonly thresholds: MonitoringThresholds;
    readonly budgetMinutes: number;
    /** The configured `healthThresholds`, which classify each project's latest score. */
    readonly healthThresholds: HealthThresholds;
    readonly now: Date;
    /** @default STATUS_WINDOW_DAYS (14) */
    readonly windowDays?: number;
    /** The hourly job's stale limit (`alertRulesOf(config).staleAfterHours`): each project's lag is then judged stale or not. */
    readonly staleAfterHours?: number;
  },
): Promise<StatusReport> {
  const { now, windowDays = STATUS_WINDOW_DAYS } = options;
  const monitor = new CronMonitor(stores, { ...options, windowDays });
  const [view, runs, recentEvents, projects] = await Promise.all([
    monitor.view(now),
    stores.runs.listScheduledBetween(new Date(now.getTime() - windowDays * DAY_MS), now),
    monitor.getRecentEvents(20),
    stores.projects.listActive(),
  ]);
  const { dashboard } = view;
  const health = monitor.healthOf(view, now);
  const [statuses, latestHealth] = await Promise.all([
    Promise.all(projects.map((project) => stores.snapshots.latestStatus(project.projectId, now.toISOString().slice(0, 10)))),
    healthOfProjects(stores.snapshots, projects, { thresholds: options.healthThresholds, now }),
  ]);
  return {
    generatedAt: now.toISOString(),
    windowDays,
    dashboard,
    health,
    successRate: {
      windowDays: options.thresholds.successRateWindowDays,
      minRuns: options.thresholds.successRateMinRuns,
      alertPercent: options.thresholds.successRateAlertPercent,
      targetPercent: SUCCESS_RATE_TARGET_PERCENT,
      jobs: view.successRates,
    },
    daily: Object.fromEntries(
      JOB_TYPES.map((jobType) => [
        jobType,
        dailyFigures(
          runs.filter((run) => run.jobType === jobType),
          now,
          windowDays,
        ),
      ]),
    ) as Record<JobType, DayFigures[]>,
    recentFailures: runs
      .filter((run) => run.status === 'failed' || run.status === 'timeout')
      .sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime))
      .slice(0, 10),
    recentEvents,
    ...(options.staleAfterHours === undefined ? {} : { staleAfterHours: options.staleAfterHours }),
    projects: worstFirst(
      projects.map((project, index) => ({
        projectId: project.projectId,
        health: healthSummaryOf(latestHealth[index]!),
        weeklyStatus: weeklyStatusOf(statuses[index]),
        ...(project.failure
          ? {
              syncFailure: {
                since: project.failure.since,
                consecutiveRuns: project.failure.consecutiveRuns,
                lastError: project.failure.lastError,
              },
            }
          : {}),
        lag: lagOf(project, now, options.staleAfterHours),
      })),
    ),
  };
}

/** The project's lag at `now`, judged stale or not when the limit is given. */
export function lagOf(project: Parameters<typeof freshnessOf>[0], now: Date, staleAfterHours: number | undefined): ProjectLag {
  const { projectId: _projectId, ...freshness } = freshnessOf(project, now);
  return staleAfterHours === undefined ? freshness : { ...freshness, stale: isStale(freshness, staleAfterHours) };
}

/** Worse health first (never synced, then critical, warning, healthy). */
const HEALTH_RANK: Readonly<Record<HealthStatus | 'never synced', number>> = { 'never synced': 0, critical: 1, warning: 2, healthy: 3 };

/**
 * The projects an operator should look at first, first: by health (never synced, critical, warning, healthy), then
 * score, then freshness (the longest since its data was last confirmed first), then name.
 */
export function worstFirst(projects: readonly ProjectStatus[]): ProjectStatus[] {
  const rank = (project: ProjectStatus) => HEALTH_RANK[project.health?.classification ?? 'never synced'];
  return [...projects].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.health?.score ?? 0) - (b.health?.score ?? 0) ||
      (a.lag.confirmedAt ?? '').localeCompare(b.lag.confirmedAt ?? '') ||
      a.projectId.localeCompare(b.projectId),
  );
}

function healthSummaryOf(health: ProjectHealth): ProjectStatus['health'] {
  if (!health.synced) return null;
  const { score, formulaVersion, classification, date, syncedAt } = health;
  return { score, formulaVersion, classification, date, syncedAt };
}

function weeklyStatusOf(status: WeeklyProjectStatus | undefined): ProjectStatus['weeklyStatus'] {
  return status ? { status: status.status, score: status.score, date: status.date } : null;
}

export const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

/** "failing 3 runs in a row since 2026-11-26 02:00 UTC", or undefined for a project that syncs. */
export function syncFailureOf(project: ProjectStatus): string | undefined {
  const failure = project.syncFailure;
  return failure ? `failing ${failure.consecutiveRuns} run(s) in a row since ${exactTime(failure.since)}` : undefined;
}

/** A line of at most {@link TEXT_COLUMNS} columns: `indent`, then `text` as one inert line cut to fit. */
const fitted = (text: string, indent = '') => indent + plainText(text, TEXT_COLUMNS - indent.length);

export function statusText(report: StatusReport): string {
  const { summary } = report.dashboard;
  const now = new Date(report.generatedAt);
  const failing = report.projects.filter((project) => project.syncFailure);
  return [
    fitted(`Status: ${summary.healthStatus.toUpperCase()} at ${exactTime(report.generatedAt)}, over ${report.windowDays} days`),
    fitted(`running ${summary.runningJobs}, failures in 24 h ${summary.recentFailures}, slow runs in 24 h ${summary.slowJobs}`),
    ...report.dashboard.reasons.map((reason) => fitted(reason, '  - ')),
    '',
    ...successRateLines(report).map((line, index) => fitted(line, index === 0 ? '' : '  - ')),
    '',
    table(
      ['job', 'runs', 'success', 'p50', 'p95', 'streak', 'last run', 'next run'],
      report.dashboard.statistics.map((job) => [
        job.jobType,
        String(job.total),
        percent(job.successRate),
        durationText(job.p50ExecutionTimeMs),
        durationText(job.p95ExecutionTimeMs),
        String(job.consecutiveFailures),
        job.lastRun ? `${relativeTime(job.lastRun.scheduledTime, now)} ${job.lastRun.status}` : '-',
        job.nextRun ? relativeTime(job.nextRun, now) : '-',
      ]),
    ),
    ...(report.projects.length > 0
      ? [
          '',
          table(
            ['project (worst first)', 'daily health', 'formula', 'synced', 'weekly status', 'confirmed'],
            report.projects.map(({ projectId, health, weeklyStatus, lag }) => [
              plainText(projectId, 30),
              health ? `${health.score} ${health.classification}` : 'never synced',
              health?.formulaVersion ?? '-',
              health?.syncedAt ? relativeTime(health.syncedAt, now) : (health?.date ?? 'never'),
              weeklyStatus ? `${weeklyStatus.status} (${weeklyStatus.score}, ${weeklyStatus.date})` : '-',
              lag.confirmedAt ? `${relativeTime(lag.confirmedAt, now)}${lag.stale ? ' (stale)' : ''}` : 'never',
            ]),
          ),
        ]
      : []),
    ...(failing.length > 0
      ? [
          '',
          `Projects failing to sync: ${failing.length}`,
          ...failing.flatMap((project) => [
            fitted(`${project.projectId}: ${syncFailureOf(project)}`, '  - '),
            fitted(`last error: ${project.syncFailure!.lastError}`, '    '),
          ]),
        ]
      : []),
  ].join('\n');
}

/** A heading, then each job's success rate over the watchdog's window against the target, or why it is not judged yet. */
export function successRateLines(report: Pick<StatusReport, 'successRate'>): string[] {
  const { windowDays, minRuns, alertPercent, targetPercent, jobs } = report.successRate;
  return [
    `success rate over ${windowDays} days or the last ${minRuns} runs (target ${targetPercent}%, alert below ${alertPercent}%):`,
    ...JOB_TYPES.map((jobType) => {
      const { percent, completed, runs } = jobs[jobType];
      return percent === null
        ? `${jobType}: not judged yet (${runs} of ${minRuns} runs)`
        : `${jobType}: ${percent}% (${completed} of ${runs})${percent < targetPercent ? ' below target' : ''}`;
    }),
  ];
}
