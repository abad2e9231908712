/**
 * The custom CloudWatch metrics the jobs publish through Embedded Metric Format (Powertools Metrics):
 * one namespace, the `service` dimension, and `JobType` on the per-job ones. Names are shared with the
 * alarms and the dashboard. Never a dimension per project: each would be a custom metric at ~$0.30 a month.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HourlyFigures } from './domain/hourly-metrics.ts';
import type { JobType } from './domain/job-run.ts';

export const METRICS_NAMESPACE = 'CtoDashboard';
/** The `service` dimension's value (POWERTOOLS_SERVICE_NAME of every function). */
export const SERVICE_NAME = 'cto-dashboard-jobs';
export const JOB_TYPE_DIMENSION = 'JobType';

export const METRIC_NAMES = {
  revenueAtRisk: 'RevenueAtRisk',
  slaBreaches: 'SlaBreaches',
  unassignedCritical: 'UnassignedCritical',
  velocity: 'Velocity',
  openBugs: 'OpenBugs',
  /** Per job type: failed or timed-out runs in a row, after each run ends. */
  consecutiveFailures: 'ConsecutiveFailures',
  /** Per job type: records processed by a run. */
  recordsProcessed: 'RecordsProcessed',
  /** Per job type: schedule slots with no run (the hourly watchdog). */
  missedRuns: 'MissedRuns',
  /** Per daily run: projects whose sync failed (which ones, and since when, stays in DynamoDB). */
  projectsFailed: 'ProjectsFailed',
  githubRequests: 'GitHubRequests',
  githubNotModified: 'GitHubNotModified',
  /**
   * Per `Reason`: webhook requests the endpoint refused (too large, signature missing or invalid, queued form too
   * large): forged or broken deliveries show here, never as a parsed payload.
   */
  webhookDeliveriesRefused: 'WebhookDeliveriesRefused',
} as const;

export function jobMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

export function publishOrganizationMetrics(metrics: Metrics, totals: HourlyFigures['totals']): void {
  metrics.addMetric(METRIC_NAMES.revenueAtRisk, MetricUnit.NoUnit, totals.revenueAtRisk);
  metrics.addMetric(METRIC_NAMES.slaBreaches, MetricUnit.Count, totals.alertingSlaBreaches);
  metrics.addMetric(METRIC_NAMES.unassignedCritical, MetricUnit.Count, totals.unassignedCritical);
  metrics.addMetric(METRIC_NAMES.velocity, MetricUnit.Count, totals.velocity.last7Days);
  metrics.addMetric(METRIC_NAMES.openBugs, MetricUnit.Count, totals.openBugs);
  metrics.publishStoredMetrics();
}

/** A run's outcome, per job type. */
export function publishRunMetrics(
  metrics: Metrics,
  jobType: JobType,
  figures: { readonly consecutiveFailures: number; readonly recordsProcessed: number },
): void {
  metrics.addDimension(JOB_TYPE_DIMENSION, jobType);
  metrics.addMetric(METRIC_NAMES.consecutiveFailures, MetricUnit.Count, figures.consecutiveFailures);
  metrics.addMetric(METRIC_NAMES.recordsProcessed, MetricUnit.Count, figures.recordsProcessed);
  metrics.publishStoredMetrics();
}

/** Missed slots per job type (zero too, so the alarm sees the metric come back to normal). */
export function publishMissedRuns(metrics: Metrics, missed: Readonly<Partial<Record<JobType, readonly string[]>>>): void {
  for (const [jobType, slots] of Object.entries(missed)) {
    metrics.addDimension(JOB_TYPE_DIMENSION, jobType);
    metrics.addMetric(METRIC_NAMES.missedRuns, MetricUnit.Count, slots?.length ?? 0);
    metrics.publishStoredMetrics();
  }
}

/** How many projects failed in a daily run (zero too, so a graph or alarm sees it come back to normal). */
export function publishSyncOutcome(metrics: Metrics, outcome: { readonly projectsFailed: number }): void {
  metrics.addMetric(METRIC_NAMES.projectsFailed, MetricUnit.Count, outcome.projectsFailed);
  metrics.publishStoredMetrics();
}

/** What one project's sync cost in GitHub requests, and how many were free 304s. */
export function publishGitHubUsage(metrics: Metrics, totals: { readonly requests: number; readonly notModified: number }): void {
  metrics.addMetric(METRIC_NAMES.githubRequests, MetricUnit.Count, totals.requests);
  metrics.addMetric(METRIC_NAMES.githubNotModified, MetricUnit.Count, totals.notModified);
  metrics.publishStoredMetrics();
}
