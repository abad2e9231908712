/**
 * `cto-jobs status`: the cron monitor's dashboard as text, JSON, or a self-contained HTML status page
 * (success rate and duration per job over two weeks as small SVG charts, recent failures with their
 * errors, recent events, project health and the projects failing to sync).
 */
import { JOB_TYPES, type JobRun, type JobType } from '../../shared/domain/job-run.ts';
import type { DashboardData, MonitoringThresholds } from '../../shared/domain/monitoring.ts';
import type { SyncFailure } from '../../shared/domain/project.ts';
import type { HealthThresholds, ProjectStatus as WeeklyProjectStatus } from '../../shared/domain/project-health.ts';
import type { JobSchedule } from '../../shared/domain/schedule-slots.ts';
import type { SyncEvent } from '../../shared/domain/sync-event.ts';
import { escapeHtml, plainText } from '../../shared/domain/untrusted-text.ts';
import { CronMonitor, type HealthMetrics } from '../../shared/monitoring/cron-monitor.ts';
import type { CliStores } from './deployed.ts';
import { table } from './format.ts';
import { healthOfProjects, type ProjectHealth, type SyncedHealth } from './health.ts';

const DAY_MS = 86_400_000;
const CHART_DAYS = 14;

export interface DayFigures {
  readonly date: string;
  readonly runs: number;
  readonly successRate: number | null;
  readonly averageDurationMs: number | null;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly dashboard: DashboardData;
  readonly health: HealthMetrics;
  readonly daily: Readonly<Record<JobType, readonly DayFigures[]>>;
  readonly recentFailures: readonly JobRun[];
  readonly recentEvents: readonly SyncEvent[];
  readonly projects: readonly ProjectStatus[];
}

export interface ProjectStatus {
  readonly projectId: string;
  /** Its latest daily health (as `cto-jobs health` shows it, in short); null before its first daily snapshot. */
  readonly health: Pick<SyncedHealth, 'score' | 'formulaVersion' | 'classification' | 'date' | 'syncedAt'> | null;
  /** The weekly health check's latest classification; null before the first weekly run that saw the project. */
  readonly weeklyStatus: Pick<WeeklyProjectStatus, 'status' | 'score' | 'date'> | null;
  /** Set while the daily sync fails on the project run after run. */
  readonly syncFailure?: Omit<SyncFailure, 'lastRunId'>;
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
  },
): Promise<StatusReport> {
  const { now } = options;
  const monitor = new CronMonitor(stores, options);
  const [view, runs, recentEvents, projects] = await Promise.all([
    monitor.view(now),
    stores.runs.listScheduledBetween(new Date(now.getTime() - CHART_DAYS * DAY_MS), now),
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
    dashboard,
    health,
    daily: Object.fromEntries(
      JOB_TYPES.map((jobType) => [
        jobType,
        dailyFigures(
          runs.filter((run) => run.jobType === jobType),
          now,
        ),
      ]),
    ) as Record<JobType, DayFigures[]>,
    recentFailures: runs
      .filter((run) => run.status === 'failed' || run.status === 'timeout')
      .sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime))
      .slice(0, 10),
    recentEvents,
    projects: projects.map((project, index) => ({
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
    })),
  };
}

function healthSummaryOf(health: ProjectHealth): ProjectStatus['health'] {
  if (!health.synced) return null;
  const { score, formulaVersion, classification, date, syncedAt } = health;
  return { score, formulaVersion, classification, date, syncedAt };
}

function weeklyStatusOf(status: WeeklyProjectStatus | undefined): ProjectStatus['weeklyStatus'] {
  return status ? { status: status.status, score: status.score, date: status.date } : null;
}

function dailyFigures(runs: readonly JobRun[], now: Date): DayFigures[] {
  return Array.from({ length: CHART_DAYS }, (_, index) => {
    const date = new Date(now.getTime() - (CHART_DAYS - 1 - index) * DAY_MS).toISOString().slice(0, 10);
    const ended = runs.filter((run) => run.scheduledTime.startsWith(date) && ['completed', 'failed', 'timeout'].includes(run.status));
    const durations = ended.flatMap((run) => (run.durationMs === undefined ? [] : [run.durationMs]));
    return {
      date,
      runs: ended.length,
      successRate: ended.length > 0 ? ended.filter((run) => run.status === 'completed').length / ended.length : null,
      averageDurationMs: durations.length > 0 ? Math.round(durations.reduce((sum, value) => sum + value, 0) / durations.length) : null,
    };
  });
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

/** "failing 3 runs in a row since 2026-11-26T02:00:00Z", or undefined for a project that syncs. */
function syncFailureOf(project: ProjectStatus): string | undefined {
  const failure = project.syncFailure;
  return failure ? `failing ${failure.consecutiveRuns} run(s) in a row since ${failure.since}` : undefined;
}

/** A project's latest health, its formula, when it was synced and its weekly status, as text cells. */
function projectHealthCells({ health, weeklyStatus }: ProjectStatus): [string, string, string, string] {
  return [
    health ? `${health.score} ${health.classification}` : 'never synced',
    health?.formulaVersion ?? '-',
    health ? (health.syncedAt ?? health.date) : 'never',
    weeklyStatus ? `${weeklyStatus.status} (${weeklyStatus.score}, ${weeklyStatus.date})` : '-',
  ];
}

export function statusText(report: StatusReport): string {
  const { summary } = report.dashboard;
  const failing = report.projects.filter((project) => project.syncFailure);
  return [
    `Status: ${summary.healthStatus.toUpperCase()} at ${report.generatedAt} ` +
      `(running ${summary.runningJobs}, failures in 24 h ${summary.recentFailures}, slow runs in 24 h ${summary.slowJobs})`,
    ...report.dashboard.reasons.map((reason) => `  - ${reason}`),
    '',
    table(
      ['job', 'runs', 'completed', 'failed', 'timeouts', 'success', 'avg', 'p95', 'streak', 'last run', 'next run'],
      report.dashboard.statistics.map((job) => [
        job.jobType,
        String(job.total),
        String(job.completed),
        String(job.failed),
        String(job.timeouts),
        percent(job.successRate),
        seconds(job.avgExecutionTimeMs),
        seconds(job.p95ExecutionTimeMs),
        String(job.consecutiveFailures),
        job.lastRun ? `${job.lastRun.scheduledTime} ${job.lastRun.status}` : '-',
        job.nextRun ?? '-',
      ]),
    ),
    ...(report.projects.length > 0
      ? [
          '',
          table(
            ['project', 'health (latest daily)', 'formula', 'synced', 'weekly status'],
            report.projects.map((project) => [project.projectId, ...projectHealthCells(project)]),
          ),
        ]
      : []),
    ...(failing.length > 0
      ? [
          '',
          `Projects failing to sync: ${failing.length}`,
          ...failing.map(
            (project) =>
              `  - ${plainText(project.projectId, 80)}: ${syncFailureOf(project)}: ${plainText(project.syncFailure!.lastError, 160)}`,
          ),
        ]
      : []),
  ].join('\n');
}

const HEALTH_COLORS: Record<string, string> = {
  healthy: '#1a7f37',
  degraded: '#9a6700',
  unhealthy: '#cf222e',
  warning: '#9a6700',
  critical: '#cf222e',
};

/** A self-contained page: inline CSS and SVG, no script, nothing fetched. */
export function statusPageHtml(report: StatusReport): string {
  const { summary } = report.dashboard;
  const charts = JOB_TYPES.map((jobType) => {
    const days = report.daily[jobType];
    const maxDuration = Math.max(1, ...days.map((day) => day.averageDurationMs ?? 0));
    const step = 280 / days.length;
    const bars = days
      .map((day, index) => {
        if (day.successRate === null) return '';
        const height = day.successRate * 56;
        return (
          `<rect class="bar" x="${(index * step + 2).toFixed(1)}" y="${(60 - height).toFixed(1)}" width="${(step - 4).toFixed(1)}" ` +
          `height="${height.toFixed(1)}" fill="${day.successRate === 1 ? '#2da44e' : '#cf222e'}">` +
          `<title>${day.date}: ${percent(day.successRate)} of ${day.runs}</title></rect>`
        );
      })
      .join('');
    const points = days.flatMap((day, index) =>
      day.averageDurationMs === null
        ? []
        : [`${(index * step + step / 2).toFixed(1)},${(60 - (day.averageDurationMs / maxDuration) * 56).toFixed(1)}`],
    );
    const line =
      points.length > 0 ? `<polyline class="duration" points="${points.join(' ')}" fill="none" stroke="#0969da" stroke-width="2"/>` : '';
    return (
      `<figure class="chart"><figcaption>${jobType}: success rate per day (bars) ` +
      `and average duration (line, max ${seconds(maxDuration)})</figcaption>` +
      `<svg viewBox="0 0 280 62" width="100%" role="img" aria-label="${jobType} over ${CHART_DAYS} days">` +
      `<line x1="0" y1="60" x2="280" y2="60" stroke="#d0d7de"/>${bars}${line}</svg></figure>`
    );
  }).join('');
  const rows = (cells: readonly string[][]) => cells.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  const htmlTable = (headings: readonly string[], body: string) =>
    `<table><tr>${headings.map((heading) => `<th>${heading}</th>`).join('')}</tr>${body}</table>`;
  const section = (heading: string, content: string) => `<section><h2>${heading}</h2>${content}</section>`;
  const statistics = rows(
    report.dashboard.statistics.map((job) => [
      job.jobType,
      String(job.total),
      percent(job.successRate),
      seconds(job.avgExecutionTimeMs),
      seconds(job.p95ExecutionTimeMs),
      String(job.consecutiveFailures),
      escapeHtml(job.nextRun ?? '-'),
    ]),
  );
  const failures = rows(
    report.recentFailures.map((run) => [
      escapeHtml(run.scheduledTime),
      run.jobType,
      run.status,
      run.errorName ? escapeHtml(plainText(`${run.errorName}: ${run.errorMessage ?? ''}`, 160)) : '-',
    ]),
  );
  const events = rows(
    report.recentEvents.map((event) => [
      escapeHtml(event.timestamp),
      event.eventType,
      event.level,
      escapeHtml(plainText(event.message, 160)),
    ]),
  );
  const projects = rows(
    report.projects.map((project) => [
      escapeHtml(plainText(project.projectId, 80)),
      ...projectHealthCells(project).map((cell, column) => {
        const classification = column === 0 ? project.health?.classification : column === 3 ? project.weeklyStatus?.status : undefined;
        return classification ? `<span style="color:${HEALTH_COLORS[classification]}">${escapeHtml(cell)}</span>` : escapeHtml(cell);
      }),
      project.syncFailure
        ? `<span class="sync-failing" style="color:${HEALTH_COLORS.critical}">${escapeHtml(syncFailureOf(project)!)}</span>` +
          `<br>${escapeHtml(plainText(project.syncFailure.lastError, 160))}`
        : 'ok',
    ]),
  );
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>CTO dashboard jobs: ${summary.healthStatus}</title><style>` +
    'body{margin:0;padding:12px;font-family:Arial,Helvetica,sans-serif;color:#1f2328;background:#f6f8fa}' +
    'main{max-width:960px;margin:0 auto}' +
    'section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;margin:12px 0;overflow-x:auto}' +
    'table{width:100%;border-collapse:collapse;font-size:13px;table-layout:fixed}' +
    'td,th{padding:4px;border-bottom:1px solid #d0d7de;text-align:left;overflow-wrap:anywhere}' +
    '.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}' +
    'figure{margin:0}figcaption{font-size:12px;color:#57606a}' +
    '.status{font-size:22px;font-weight:bold}</style></head><body><main>' +
    '<h1>CTO dashboard jobs</h1>' +
    `<p class="status" style="color:${HEALTH_COLORS[summary.healthStatus]}">${summary.healthStatus.toUpperCase()}</p>` +
    `<p>${escapeHtml(report.generatedAt)} · running ${summary.runningJobs} · failures in 24 h ${summary.recentFailures}` +
    ` · slow runs in 24 h ${summary.slowJobs}</p>` +
    (report.dashboard.reasons.length > 0
      ? `<ul>${report.dashboard.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul>`
      : '') +
    section(`Jobs over ${CHART_DAYS} days`, `<div class="charts">${charts}</div>`) +
    section('Statistics (8 days)', htmlTable(['job', 'runs', 'success', 'avg', 'p95', 'streak', 'next run'], statistics)) +
    section('Recent failures', failures ? htmlTable(['scheduled', 'job', 'status', 'error'], failures) : '<p>None in two weeks.</p>') +
    section('Recent events', htmlTable(['time', 'type', 'level', 'message'], events)) +
    section(
      'Project health',
      projects ? htmlTable(['project', 'health', 'formula', 'synced', 'weekly status', 'sync'], projects) : '<p>No projects.</p>',
    ) +
    '</main></body></html>'
  );
}
