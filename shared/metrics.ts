/**
 * The custom CloudWatch metrics the jobs publish through Embedded Metric Format (Powertools Metrics):
 * one namespace, the `service` dimension, and `JobType` on the per-job ones. Names are shared with the
 * alarms and the dashboard. Each name and set of dimension values is a custom metric at $0.30 a month beyond
 * an account's 10 free (https://aws.amazon.com/cloudwatch/pricing/), so never a dimension per project, and a
 * dimension only where an alarm needs it: 12 are sent every month, `ProjectsFailed` only in a daily run with a failed
 * project, `WebhookDeliveriesRefused` only in an hour with a refused request (docs/benchmarks.md#cost).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HourlyFigures } from './domain/hourly-metrics.ts';
import type { JobType } from './domain/job-run.ts';
import type { SuccessRate } from './domain/job-run-rules.ts';

export const METRICS_NAMESPACE = 'CtoDashboard';
/** The `service` dimension's value (POWERTOOLS_SERVICE_NAME of every function). */
export const SERVICE_NAME = 'cto-dashboard-jobs';
export const JOB_TYPE_DIMENSION = 'JobType';
/** The metadata key of a run's records processed in its outcome's log line (not a metric). */
export const RECORDS_PROCESSED = 'RecordsProcessed';

export const METRIC_NAMES = {
  revenueAtRisk: 'RevenueAtRisk',
  slaBreaches: 'SlaBreaches',
  unassignedCritical: 'UnassignedCritical',
  velocity: 'Velocity',
  openBugs: 'OpenBugs',
  /** Seconds since the least recently confirmed project was last synced or had a webhook delivery applied (hourly). */
  worstProjectLag: 'WorstProjectLag',
  /** Per job type: failed or timed-out runs in a row, after each run ends. */
  consecutiveFailures: 'ConsecutiveFailures',
  /** Schedule slots of any job with no run (the hourly watchdog; which ones, it logs and alerts). */
  missedRuns: 'MissedRuns',
  /** The lowest success rate (percent) of the jobs the watchdog judges; each job's rides as metadata. */
  successRate: 'SuccessRate',
  /** Skipped runs and ignored duplicate deliveries of all jobs scheduled in the hour the watchdog judged. */
  skippedRuns: 'SkippedRuns',
  /** Per daily run with a failed project: how many failed (which ones, and since when, stays in DynamoDB). */
  projectsFailed: 'ProjectsFailed',
  /**
   * Per `Reason`: webhook requests the endpoint refused (too large, signature missing or invalid, queued form too
   * large): forged or broken deliveries show here, never as a parsed payload.
   */
  webhookDeliveriesRefused: 'WebhookDeliveriesRefused',
} as const;

export function jobMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

/**
 * The hour's organisation figures in one EMF document, with the worst project lag in seconds (none before any
 * project's first sync finished: there is no lag to report yet).
 */
export function publishOrganizationMetrics(metrics: Metrics, totals: HourlyFigures['totals'], worstLagSeconds?: number): void {
  metrics.addMetric(METRIC_NAMES.revenueAtRisk, MetricUnit.NoUnit, totals.revenueAtRisk);
  metrics.addMetric(METRIC_NAMES.slaBreaches, MetricUnit.Count, totals.alertingSlaBreaches);
  metrics.addMetric(METRIC_NAMES.unassignedCritical, MetricUnit.Count, totals.unassignedCritical);
  metrics.addMetric(METRIC_NAMES.velocity, MetricUnit.Count, totals.velocity.last7Days);
  metrics.addMetric(METRIC_NAMES.openBugs, MetricUnit.Count, totals.openBugs);
  if (worstLagSeconds !== undefined) metrics.addMetric(METRIC_NAMES.worstProjectLag, MetricUnit.Seconds, worstLagSeconds);
  metrics.publishStoredMetrics();
}

/**
 * A run's outcome, per job type: its failure streak, which each job's Failing alarm reads, and how many records it
 * processed. The records ride in the same log line as metadata (Logs Insights can sum them, JobHistory keeps them):
 * as a metric per job type they would cost three custom metrics.
 */
export function publishRunMetrics(
  metrics: Metrics,
  jobType: JobType,
  figures: { readonly consecutiveFailures: number; readonly recordsProcessed: number },
): void {
  metrics.addDimension(JOB_TYPE_DIMENSION, jobType);
  metrics.addMetric(METRIC_NAMES.consecutiveFailures, MetricUnit.Count, figures.consecutiveFailures);
  metrics.addMetadata(RECORDS_PROCESSED, String(figures.recordsProcessed));
  metrics.publishStoredMetrics();
}

/**
 * The missed slots of all watched jobs together, one metric for one alarm (zero too, so the alarm sees it come back
 * to normal): which job missed which slot is in the watchdog's alert and log.
 */
export function publishMissedRuns(metrics: Metrics, missed: Readonly<Partial<Record<JobType, readonly string[]>>>): void {
  const total = Object.values(missed).reduce((sum, slots) => sum + (slots?.length ?? 0), 0);
  metrics.addMetric(METRIC_NAMES.missedRuns, MetricUnit.Count, total);
  metrics.publishStoredMetrics();
}

/** The metadata key of each job's success rate in the watchdog's metrics line (not a metric each: 3 more custom metrics). */
export const SUCCESS_RATES = 'SuccessRates';

/**
 * The watchdog's hourly figures in one EMF document: every watched job's missed slots (zero too, so the MissedRuns
 * alarm sees them come back to normal), the hour's skipped runs, and the lowest success rate of the jobs judged
 * (none judged, none published), with each job's rate as metadata: two custom metrics rather than a rate per job.
 */
export function publishWatchdogMetrics(
  metrics: Metrics,
  figures: {
    readonly missed: Readonly<Partial<Record<JobType, readonly string[]>>>;
    readonly skippedRuns: number;
    readonly successRates: Readonly<Record<JobType, SuccessRate>>;
  },
): void {
  const judged = Object.values(figures.successRates).flatMap(({ percent }) => (percent === null ? [] : [percent]));
  if (judged.length > 0) metrics.addMetric(METRIC_NAMES.successRate, MetricUnit.Percent, Math.min(...judged));
  metrics.addMetric(METRIC_NAMES.skippedRuns, MetricUnit.Count, figures.skippedRuns);
  metrics.addMetadata(SUCCESS_RATES, JSON.stringify(figures.successRates));
  publishMissedRuns(metrics, figures.missed);
}

/**
 * How many projects failed in a daily run, when any did. CloudWatch meters a custom metric only in the hours it is sent
 * (https://aws.amazon.com/cloudwatch/pricing/), so a month in which no project fails costs nothing for it; no alarm
 * reads it (each project's failure streak pages through the watchdog), and a graph shows the days with failures.
 */
export function publishSyncOutcome(metrics: Metrics, outcome: { readonly projectsFailed: number }): void {
  if (outcome.projectsFailed === 0) return;
  metrics.addMetric(METRIC_NAMES.projectsFailed, MetricUnit.Count, outcome.projectsFailed);
  metrics.publishStoredMetrics();
}
