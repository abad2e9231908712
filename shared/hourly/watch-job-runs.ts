/**
 * "Watch Job Runs" (hourly): the jobs' own health. Failure streaks and rates, a low success rate, runs over
 * the time limit or far from their usual duration, stuck runs, runs beyond the schedule, skipped runs,
 * scheduled slots that never ran and projects the daily sync fails on run after run become alerts through
 * the same policy, outbox and channels as the bug alerts; missed slots are also published as a metric
 * for their CloudWatch alarm. A replay of an hour before the latest evaluated one reports what it sees and changes nothing.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { digestOf } from '../domain/alert-message.ts';
import { planAlerts } from '../domain/alerts.ts';
import { JOB_TYPES, type JobRun, type JobType, type StepResult } from '../domain/job-run.ts';
import { skippedRunsBetween } from '../domain/job-run-rules.ts';
import { jobAlerts, type MonitoringThresholds, projectSyncAlerts } from '../domain/monitoring.ts';
import type { JobSchedule } from '../domain/schedule-slots.ts';
import { publishWatchdogMetrics } from '../metrics.ts';
import { type CronMonitor, WATCHED_FOR_MISSED_RUNS } from '../monitoring/cron-monitor.ts';
import type { AlertsStore } from '../store/alerts-store.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import { queueNotices } from './queue-notices.ts';
import { replayNote } from './replay-note.ts';

const HOUR_MS = 3_600_000;

export interface WatchDependencies {
  readonly monitor: CronMonitor;
  /** Each job's newest runs, for the rules that reach back past the monitor's window. */
  readonly history: Pick<JobHistoryStore, 'listRecent'>;
  readonly schedules: Readonly<Record<JobType, JobSchedule>>;
  readonly alerts: AlertsStore;
  readonly projects: Pick<ProjectsStore, 'listFailing'>;
  readonly events: SyncEventsStore;
  readonly metrics: Metrics;
  readonly cooldownHours: number;
}

export async function watchJobRuns(
  deps: WatchDependencies,
  run: { readonly runId: string; readonly now: Date },
): Promise<Omit<StepResult, 'attempt'>> {
  const { now } = run;
  const { thresholds } = deps.monitor;
  const [{ runs, missed, dashboard, successRates }, failing, newest] = await Promise.all([
    deps.monitor.view(now, run.runId),
    deps.projects.listFailing(),
    newestRuns(deps.history, thresholds),
  ]);
  const projectAlerts = projectSyncAlerts(failing, { now, thresholds });
  // A replay of an earlier hour judges the history as it stood then.
  const newestByNow = newest.filter((other) => other.runId !== run.runId && Date.parse(other.scheduledTime) <= now.getTime());
  const firing = [
    ...jobAlerts([...new Map([...newestByNow, ...runs].map((other) => [other.runId, other])).values()], missed, {
      now,
      thresholds,
      budgetMinutes: deps.monitor.budgetMinutes,
      watchedForLateness: WATCHED_FOR_MISSED_RUNS,
      schedules: deps.schedules,
      successRates,
    }),
    ...projectAlerts,
  ];
  const evaluation = await deps.alerts.claimEvaluation('jobs', now);
  let alerting: string;
  if (evaluation.replay) {
    alerting = `${firing.length} job alerts firing; ${replayNote(now, evaluation)}`;
  } else {
    const { notices, writes } = planAlerts(firing, await deps.alerts.listTracked('jobs'), now, deps.cooldownHours);
    await deps.alerts.saveStates(
      await queueNotices(deps.alerts, digestOf(run.runId, now.toISOString(), notices, undefined, 'jobs'), notices, writes),
    );
    // Missed slots and the success rate feed paging alarms: only the latest hour's figures may.
    const skippedRuns = skippedRunsBetween(runs, new Date(now.getTime() - HOUR_MS), now);
    publishWatchdogMetrics(deps.metrics, { missed, skippedRuns, successRates });
    alerting = `${firing.length} job alerts firing, ${notices.length} to notify`;
  }
  const status = dashboard.summary.healthStatus;
  const summary =
    `jobs ${status}${dashboard.reasons.length > 0 ? ` (${dashboard.reasons.join('; ')})` : ''}; ` +
    `${failing.length} project(s) failing to sync, ${projectAlerts.length} for ${thresholds.consecutiveProjectFailures}+ runs; ` +
    alerting;
  await deps.events.append({
    runId: run.runId,
    timestamp: now.toISOString(),
    eventType: 'health_check',
    level: status === 'healthy' ? 'info' : 'warn',
    message: summary,
    recordsProcessed: runs.length,
  });
  return { recordsProcessed: runs.length, recordsFailed: 0, summary };
}

/**
 * Each job's newest runs: twice the longest run history a rule needs (the failure rate's last runs, the runtime
 * median's runs before the one judged), so skipped runs among them leave enough. The success rate is the cron
 * monitor's, read with its own sample.
 */
async function newestRuns(history: Pick<JobHistoryStore, 'listRecent'>, thresholds: MonitoringThresholds): Promise<JobRun[]> {
  const limit = 2 * Math.max(thresholds.failureRateRuns, thresholds.runtimeHistoryRuns + 1);
  return (await Promise.all(JOB_TYPES.map((jobType) => history.listRecent({ jobType, limit })))).flat();
}
