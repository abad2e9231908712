import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { JOB_TYPES } from '../../../shared/domain/job-run.ts';
import { METRIC_NAMES } from '../../../shared/metrics.ts';
import { WATCHED_FOR_MISSED_RUNS } from '../../../shared/monitoring/cron-monitor.ts';
import { buildTestApp } from '../../support/synth.ts';

// Everything that can add an alarm deployed: the webhooks bring their dead-letter queue.
const baseConfig = readCdkContext(PROJECT_ROOT).ctoJobs as Record<string, unknown>;
const { stack } = buildTestApp({
  ctoJobs: { ...baseConfig, webhooks: { secretName: 'acme/webhook-secret', rateLimitPerSecond: 20, burstLimit: 40 } },
});
type AlarmProperties = {
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: { MetricStat?: { Metric: { MetricName: string } } }[];
};
const alarms = Object.entries(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
  id,
  properties: alarm.Properties as AlarmProperties,
}));
/** Every metric an alarm reads: its one metric, or each metric of a metric-math alarm (each billed as an alarm metric). */
const metricsRead = (properties: AlarmProperties): string[] =>
  properties.MetricName
    ? [properties.MetricName]
    : (properties.Metrics ?? []).flatMap((query) => query.MetricStat?.Metric.MetricName ?? []);

describe('the alarm budget with the watchdog (issue 16)', () => {
  it("reads at most 10 alarm metrics with every optional part deployed, an account's free ones ($0.10 a month each beyond)", () => {
    expect(alarms.flatMap(({ properties }) => metricsRead(properties)).length).toBeLessThanOrEqual(10);
  });

  it('leaves the success rate and skipped runs to the watchdog: no alarm reads SuccessRate or SkippedRuns', () => {
    // Decided (docs/operations.md "The success rate (an alert, not an alarm)"): the watchdog's low_success_rate and
    // skipped_runs alerts already page through the alert policy (fire once, cooldown, worse, resolved), so an alarm on
    // the same figure would page on-call twice for one cause, and it would spend an alarm metric of the 10 free.
    const read = alarms.flatMap(({ properties }) => metricsRead(properties));
    expect(read).not.toContain(METRIC_NAMES.successRate);
    expect(read).not.toContain(METRIC_NAMES.skippedRuns);
  });

  it('pages on a missed slot of every job: the daily and weekly ones through MissedRuns, the hourly one through NotSucceeding', () => {
    const missedRuns = alarms.filter(({ properties }) => properties.MetricName === METRIC_NAMES.missedRuns);
    // One alarm for all watched jobs: the watchdog sums their missed slots into one metric (one alarm metric, not one per job).
    expect(missedRuns).toHaveLength(1);
    expect(missedRuns[0]!.properties.Dimensions?.map(({ Name }) => Name)).toEqual(['service']);
    const watchedByItself = JOB_TYPES.filter((jobType) => !WATCHED_FOR_MISSED_RUNS.includes(jobType));
    expect(watchedByItself).toEqual(['hourly_metrics']);
    const notSucceeding = alarms.filter(({ id }) => /^HourlyMetrics.*NotSucceeding/.test(id));
    expect(notSucceeding.map(({ properties }) => properties.MetricName)).toEqual(['ExecutionsSucceeded']);
  });
});
