import type { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, expect, vi } from 'vitest';

/** A line of CloudWatch Embedded Metric Format, as Powertools Metrics prints it to stdout. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      /** Each inner list is one dimension set: CloudWatch stores the metric once per set. */
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** One metric as CloudWatch stores it (and as an alarm names it): namespace, name, dimensions. */
export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, unknown>>;
}

export interface EmfCapture {
  /** Every EMF line printed in the current test, in order. */
  readonly lines: readonly EmfLine[];
  /** Each value published for `metricName` in the current test, once per dimension set it was published with. */
  published(metricName: string): (MetricIdentity & { readonly value: unknown })[];
}

/**
 * Captures the EMF lines handlers print during each test of the calling file (they are not printed);
 * any other output passes through. Call once, at the top level of a test file. The handlers' metrics must
 * be on (`POWERTOOLS_METRICS_DISABLED: 'false'` in the runtime's environment).
 */
export function captureEmf(): EmfCapture {
  let lines: EmfLine[] = [];
  let spy: { mockRestore(): void } | undefined;
  beforeEach(() => {
    lines = [];
    const write = process.stdout.write.bind(process.stdout);
    spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.includes('"_aws"')) return write(chunk, ...(rest as []));
      lines.push(JSON.parse(text) as EmfLine);
      return true;
    });
  });
  // Restored after each test, so the next test's pass-through writes to the real stdout and not to this spy.
  afterEach(() => spy?.mockRestore());
  return {
    get lines() {
      return lines;
    },
    published: (metricName) =>
      lines.flatMap((line) =>
        line._aws.CloudWatchMetrics.filter((directive) => directive.Metrics.some((metric) => metric.Name === metricName)).flatMap(
          (directive) =>
            directive.Dimensions.map((names) => ({
              namespace: directive.Namespace,
              metricName,
              dimensions: Object.fromEntries(names.map((name) => [name, line[name]])),
              value: line[metricName],
            })),
        ),
      ),
  };
}

/**
 * The metric a single-metric alarm of the synthesized template reads, found by its construct id in its job's
 * construct or the stack-wide Monitoring (`dailysyncFailing` for `DailySync/daily_syncFailing`).
 */
export function alarmedMetric(template: Template, alarmId: string): MetricIdentity {
  const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([logicalId]) =>
    new RegExp(`^(DailySync|HourlyMetrics|WeeklyReport|Monitoring)${alarmId}[0-9A-F]{8}$`).test(logicalId),
  );
  expect(found, alarmId).toHaveLength(1);
  const properties = found[0]![1].Properties as { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
  return {
    namespace: properties.Namespace,
    metricName: properties.MetricName,
    dimensions: Object.fromEntries((properties.Dimensions ?? []).map(({ Name, Value }) => [Name, Value])),
  };
}
