/**
 * The organisation-wide figures published to CloudWatch through Embedded Metric Format: one series per
 * figure, never one per project (a custom metric costs ~$0.30 a month; per-project figures stay in
 * DynamoDB).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { HourlyFigures } from '../domain/hourly-metrics.ts';

export const METRICS_NAMESPACE = 'CtoDashboard';

/** Metric names, shared with the alarms and the dashboard. */
export const ORGANIZATION_METRICS = {
  revenueAtRisk: 'RevenueAtRisk',
  slaBreaches: 'SlaBreaches',
  unassignedCritical: 'UnassignedCritical',
  velocity: 'Velocity',
  openBugs: 'OpenBugs',
} as const;

export function publishOrganizationMetrics(metrics: Metrics, totals: HourlyFigures['totals']): void {
  metrics.addMetric(ORGANIZATION_METRICS.revenueAtRisk, MetricUnit.NoUnit, totals.revenueAtRisk);
  metrics.addMetric(ORGANIZATION_METRICS.slaBreaches, MetricUnit.Count, totals.alertingSlaBreaches);
  metrics.addMetric(ORGANIZATION_METRICS.unassignedCritical, MetricUnit.Count, totals.unassignedCritical);
  metrics.addMetric(ORGANIZATION_METRICS.velocity, MetricUnit.Count, totals.velocity.last7Days);
  metrics.addMetric(ORGANIZATION_METRICS.openBugs, MetricUnit.Count, totals.openBugs);
  metrics.publishStoredMetrics();
}
