import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  jobMetrics,
  METRIC_NAMES,
  publishMissedRuns,
  publishRunMetrics,
  publishWatchdogMetrics,
  RECORDS_PROCESSED,
  SUCCESS_RATES,
} from '../../shared/metrics.ts';
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

  it("publishes the watchdog's hour in one line: missed slots, skipped runs, the lowest judged success rate", () => {
    const successRates = {
      daily_sync: { completed: 9, runs: 10, since: '2026-11-19T02:00:00Z', percent: null },
      hourly_metrics: { completed: 46, runs: 48, since: '2026-11-26T13:00:00Z', percent: 95.8 },
      weekly_report: { completed: 20, runs: 20, since: '2026-07-13T09:00:00Z', percent: 100 },
    };
    publishWatchdogMetrics(jobMetrics(), { missed: { daily_sync: ['2026-11-30T02:00:00Z'] }, skippedRuns: 2, successRates });
    const none = { completed: 0, runs: 0, since: null, percent: null };
    publishWatchdogMetrics(jobMetrics(), {
      missed: {},
      skippedRuns: 0,
      successRates: { daily_sync: none, hourly_metrics: none, weekly_report: none },
    });

    const [judged, notJudged] = emf.lines;
    const namesOf = (line: typeof judged) =>
      line!._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map(({ Name }) => Name));
    expect(namesOf(judged)).toEqual([METRIC_NAMES.successRate, METRIC_NAMES.skippedRuns, METRIC_NAMES.missedRuns]);
    expect(judged).toMatchObject({ SuccessRate: 95.8, SkippedRuns: 2, MissedRuns: 1, [SUCCESS_RATES]: JSON.stringify(successRates) });
    // No job judged yet: no rate rather than a made-up one.
    expect(namesOf(notJudged)).toEqual([METRIC_NAMES.skippedRuns, METRIC_NAMES.missedRuns]);
    // Service-wide, no JobType: two custom metrics, not one a job.
    expect(emf.published(METRIC_NAMES.successRate).map(({ dimensions }) => dimensions)).toEqual([{ service: 'cto-dashboard-jobs' }]);
  });
});
