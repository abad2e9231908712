import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { jobMetrics, METRIC_NAMES, publishMissedRuns, publishRunMetrics, RECORDS_PROCESSED } from '../../shared/metrics.ts';
import { alarmedMetric, captureEmf } from '../support/emf.ts';
import { buildTestApp } from '../support/synth.ts';

// Metrics are published only when not disabled, as deployed.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const emf = captureEmf();
const template = Template.fromStack(buildTestApp().stack);

describe('the metrics the alarms read', () => {
  it("publishes every job's missed slots as one MissedRuns, the metric the MissedRuns alarm reads", () => {
    publishMissedRuns(jobMetrics(), {
      daily_sync: ['2026-11-30T02:00:00Z'],
      weekly_report: ['2026-11-23T09:00:00Z', '2026-11-30T09:00:00Z'],
    });
    publishMissedRuns(jobMetrics(), { daily_sync: [], weekly_report: [] });

    const published = emf.published(METRIC_NAMES.missedRuns);
    expect(published.map(({ value }) => value)).toEqual([3, 0]);
    const { value: _, ...identity } = published[0]!;
    expect(identity).toEqual(alarmedMetric(template, 'MissedRuns'));
  });

  it("publishes a run's failure streak per job type, and its records processed in the same line but not as a metric", () => {
    publishRunMetrics(jobMetrics(), 'daily_sync', { consecutiveFailures: 2, recordsProcessed: 140 });

    const [line] = emf.lines;
    expect(line!._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name))).toEqual([
      METRIC_NAMES.consecutiveFailures,
    ]);
    expect(line).toMatchObject({ ConsecutiveFailures: 2, JobType: 'daily_sync', [RECORDS_PROCESSED]: '140' });
    const { value: _, ...identity } = emf.published(METRIC_NAMES.consecutiveFailures)[0]!;
    expect(identity).toEqual(alarmedMetric(template, 'dailysyncFailing'));
  });
});
