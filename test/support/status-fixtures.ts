import type { StatusReport } from '../../lib/cli/status.ts';
import { lagOf, STATUS_WINDOW_DAYS, worstFirst } from '../../lib/cli/status.ts';
import { parseConfig, schedulesOf } from '../../shared/config.ts';
import { JOB_TYPES, type JobRun, type JobType, type RunStatus } from '../../shared/domain/job-run.ts';
import { SUCCESS_RATE_TARGET_PERCENT, successRateOf } from '../../shared/domain/job-run-rules.ts';
import { dailyFigures, dashboardData } from '../../shared/domain/monitoring.ts';
import type { SyncEvent } from '../../shared/domain/sync-event.ts';
import { HOSTILE_TITLES } from './hostile-text.ts';
import { scheduledRun } from './job-runs.ts';

/** The status page's instant: a Saturday afternoon, 14 days of history behind it. */
export const STATUS_NOW = new Date('2026-11-28T12:30:00Z');
const HOUR_MS = 3_600_000;
/** A deployed account's executions, which the Step Functions console shows (the local runtime's are in none). */
const EXECUTION_ARN_PREFIX = 'arn:aws:states:eu-west-1:123456789012:execution';
/** The Step Functions console's host for those executions: the only links the page may carry. */
export const CONSOLE_ORIGIN = 'https://eu-west-1.console.aws.amazon.com/';

const config = parseConfig({}, STATUS_NOW);

/** A deployed run of `jobType` scheduled `hoursAgo` before {@link STATUS_NOW}. */
function deployedRun(jobType: JobType, hoursAgo: number, status: RunStatus, durationMs: number, error?: [string, string]): JobRun {
  const scheduledTime = `${new Date(STATUS_NOW.getTime() - hoursAgo * HOUR_MS).toISOString().slice(0, 19)}Z`;
  return scheduledRun(jobType, scheduledTime, status, {
    durationMs,
    executionArn: `${EXECUTION_ARN_PREFIX}:${jobType}:schedule-${jobType}-${scheduledTime.replace(/[^0-9]/g, '')}`,
    ...(error ? { errorName: error[0], errorMessage: error[1] } : {}),
  });
}

/**
 * Two weeks as a deployment lives them: the daily sync at 02:00 (one failure, one time-out, slower on weekdays),
 * the hourly job every hour (two time-outs, p95 above p50), the weekly report on the two Mondays.
 */
function demoRuns(errorText: (index: number) => string): JobRun[] {
  const runs: JobRun[] = [];
  for (let day = 0; day < STATUS_WINDOW_DAYS; day++) {
    const hoursAgo = 10.5 + 24 * day;
    const status = day === 3 ? 'failed' : day === 9 ? 'timeout' : 'completed';
    const error: [string, string] | undefined =
      day === 3 ? ['GitHubRateLimitedError', errorText(0)] : day === 9 ? ['States.Timeout', errorText(1)] : undefined;
    runs.push(deployedRun('daily_sync', hoursAgo, status, 48_000 + ((day * 7_919) % 41_000), error));
  }
  for (let hour = 0; hour < STATUS_WINDOW_DAYS * 24; hour++) {
    const status = hour === 5 || hour === 130 ? 'timeout' : 'completed';
    const slow = hour % 17 === 0 ? 14_000 : 0;
    runs.push(
      deployedRun(
        'hourly_metrics',
        hour + 0.5,
        status,
        6_000 + ((hour * 2_711) % 5_000) + slow,
        status === 'timeout' ? ['States.Timeout', errorText(2)] : undefined,
      ),
    );
  }
  runs.push(
    deployedRun('weekly_report', 5 * 24 + 3.5, 'completed', 21_400),
    deployedRun('weekly_report', 12 * 24 + 3.5, 'completed', 19_800),
  );
  return runs;
}

function demoEvents(projects: readonly string[], messageOf: (index: number) => string): SyncEvent[] {
  return Array.from({ length: 20 }, (_, index) => {
    const timestamp = new Date(STATUS_NOW.getTime() - (0.2 + index * 1.3) * HOUR_MS).toISOString();
    const daily = index % 4 === 3;
    return {
      runId: daily ? 'daily_sync#2026-11-28T02:00:00Z' : `hourly_metrics#${timestamp.slice(0, 13)}:00:00Z`,
      timestamp,
      eventType: daily ? 'github_sync' : index % 4 === 1 ? 'sla_check' : 'metrics',
      level: index === 6 ? 'warn' : index === 9 ? 'error' : 'info',
      message: messageOf(index),
      ...(index % 5 === 4 ? {} : { project: projects[index % projects.length]! }),
    };
  });
}

/** The default limit without webhooks: the demo's projects synced more than 26 hours ago show stale. */
const STALE_AFTER_HOURS = 26;

type ProjectFigures = [projectId: string, score: number | null, syncedHoursAgo: number, failing?: string];

function statusReport(runs: JobRun[], events: SyncEvent[], projects: readonly ProjectFigures[]): StatusReport {
  const dashboard = dashboardData(runs, {
    now: STATUS_NOW,
    schedules: schedulesOf(config),
    thresholds: config.monitoring,
    budgetMinutes: config.jobTimeoutMinutes,
    missed: {},
  });
  const byType = <T>(value: (jobType: JobType) => T) =>
    Object.fromEntries(JOB_TYPES.map((jobType) => [jobType, value(jobType)])) as Record<JobType, T>;
  const iso = (hoursAgo: number) => new Date(STATUS_NOW.getTime() - hoursAgo * HOUR_MS).toISOString();
  return {
    generatedAt: STATUS_NOW.toISOString(),
    windowDays: STATUS_WINDOW_DAYS,
    dashboard,
    successRate: {
      windowDays: config.monitoring.successRateWindowDays,
      minRuns: config.monitoring.successRateMinRuns,
      alertPercent: config.monitoring.successRateAlertPercent,
      targetPercent: SUCCESS_RATE_TARGET_PERCENT,
      jobs: byType((jobType) =>
        successRateOf(
          runs.filter((run) => run.jobType === jobType),
          STATUS_NOW,
          config.monitoring,
        ),
      ),
    },
    health: {
      healthStatus: dashboard.summary.healthStatus,
      reasons: dashboard.reasons,
      consecutiveFailures: byType(() => 0),
      missedRuns: byType(() => []),
      stuckRuns: [],
      lastSuccess: byType(() => null),
    },
    daily: byType((jobType) =>
      dailyFigures(
        runs.filter((run) => run.jobType === jobType),
        STATUS_NOW,
        STATUS_WINDOW_DAYS,
      ),
    ),
    recentFailures: runs
      .filter((run) => run.status === 'failed' || run.status === 'timeout')
      .sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime)),
    recentEvents: events,
    staleAfterHours: STALE_AFTER_HOURS,
    projects: worstFirst(
      projects.map(([projectId, score, syncedHoursAgo, failing]) => ({
        projectId,
        health:
          score === null
            ? null
            : {
                score,
                formulaVersion: 'health-v2',
                classification: score >= 80 ? 'healthy' : score >= 50 ? 'warning' : 'critical',
                date: iso(syncedHoursAgo).slice(0, 10),
                syncedAt: iso(syncedHoursAgo),
              },
        weeklyStatus: score === null ? null : { status: score >= 80 ? 'healthy' : 'warning', score: score + 3, date: '2026-11-23' },
        ...(failing ? { syncFailure: { since: '2026-11-26T02:00:00Z', consecutiveRuns: 3, lastError: failing } } : {}),
        lag: lagOf(
          { projectId, sync: { page: 1, ...(score === null ? {} : { lastSyncedAt: iso(syncedHoursAgo) }) } },
          STATUS_NOW,
          STALE_AFTER_HOURS,
        ),
      })),
    ),
  };
}

/** The demo organisation's projects in A-Z order (the page sorts them worst first). */
const DEMO_PROJECTS: readonly ProjectFigures[] = [
  ['acme-demo/checkout-api', 38, 58.5, 'GitHubRateLimitedError: secondary rate limit, retry after 60 s'],
  ['acme-demo/data-pipeline', null, 0],
  ['acme-demo/docs', 97, 10.5],
  ['acme-demo/mobile-app', 91, 10.5],
  ['acme-demo/payments-service', 71, 10.5],
  ['acme-demo/web-storefront', 62, 34.5],
];

const DEMO_MESSAGES = [
  'hourly metrics computed: 14 open critical bugs, 3 SLA breaches',
  'SLA check: 2 breaches (1 critical past 4 h, 1 high past 24 h)',
  'fetched 42 items since the last sync (12 bugs, 30 pull requests)',
  'synced in 4.2 s: 18 bugs and 7 pull requests changed',
];

/** The demo, as `npm start` leaves it after two weeks. */
export const DEMO_STATUS = statusReport(
  demoRuns((index) => ['secondary rate limit, retry after 60 s', 'execution timed out after 9 minutes', 'execution timed out'][index]!),
  demoEvents(
    DEMO_PROJECTS.map(([projectId]) => projectId),
    (index) => (index === 6 ? 'rate limit low: 212 of 5000 requests left' : DEMO_MESSAGES[index % DEMO_MESSAGES.length]!),
  ),
  DEMO_PROJECTS,
);

/** Project names, errors and event messages from {@link HOSTILE_TITLES}. */
export const HOSTILE_STATUS = statusReport(
  demoRuns((index) => HOSTILE_TITLES[index * 4 + 3]!),
  demoEvents(
    HOSTILE_TITLES.map((title) => title),
    (index) => HOSTILE_TITLES[index % HOSTILE_TITLES.length]!,
  ),
  HOSTILE_TITLES.map(
    (title, index): ProjectFigures => [title, index % 3 === 0 ? null : 30 + index * 5, index * 6, index % 4 === 1 ? title : undefined],
  ),
);
