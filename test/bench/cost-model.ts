/**
 * The monthly cost model behind `npm run bench:cost`: published us-east-1 prices (each with where it was read), the
 * usage a run was counted to have, scaled to a number of projects and to a month, and priced line by line. Pure
 * arithmetic: the bench counts, this prices.
 */

/** When the prices below were read. */
export const PRICES_READ = '2026-12-01';

interface Price {
  /** US dollars for `per` units. */
  readonly usd: number;
  readonly per: number;
  /** What is free each month in every account (the always-free tier), in the same units. */
  readonly free: number;
  readonly source: string;
  /** Set when the figure is from memory rather than read on the source page this session. */
  readonly fromMemory?: true;
}

const price = (usd: number, per: number, free: number, source: string, fromMemory?: true): Price => ({
  usd,
  per,
  free,
  source,
  ...(fromMemory ? { fromMemory } : {}),
});

/** us-east-1 list prices. The AWS pricing pages render their tables client-side: figures marked fromMemory are unverified. */
export const PRICES = {
  stateTransitions: price(0.025, 1_000, 4_000, 'https://aws.amazon.com/step-functions/pricing/'),
  /** Express executions started (a Distributed Map's Express children); no free tier. */
  expressRequests: price(1, 1_000_000, 0, 'https://aws.amazon.com/step-functions/pricing/'),
  /** Express duration x billed memory (64 MB chunks): $0.06 a GB-hour for the first 1,000 GB-hours a month. */
  expressGbSeconds: price(0.06 / 3600, 1, 0, 'https://aws.amazon.com/step-functions/pricing/'),
  lambdaRequests: price(0.2, 1_000_000, 1_000_000, 'https://aws.amazon.com/lambda/pricing/'),
  /** arm64, first 7.5 billion GB-seconds a month. */
  lambdaArmGbSeconds: price(0.0000133334, 1, 400_000, 'https://aws.amazon.com/lambda/pricing/'),
  /** On-demand, after the price cut of 2024-11-01. */
  dynamoWriteUnits: price(0.625, 1_000_000, 0, 'https://aws.amazon.com/dynamodb/pricing/on-demand/', true),
  dynamoReadUnits: price(0.125, 1_000_000, 0, 'https://aws.amazon.com/dynamodb/pricing/on-demand/', true),
  dynamoStorageGbMonths: price(0.25, 1, 25, 'https://aws.amazon.com/dynamodb/pricing/on-demand/', true),
  /** Point-in-time recovery, on every table (PointInTimeRecoveryEnabled). */
  dynamoBackupGbMonths: price(0.2, 1, 0, 'https://aws.amazon.com/dynamodb/pricing/on-demand/', true),
  /** First 10,000 metrics; the figure. The always-free tier: 10 metrics. */
  customMetrics: price(0.3, 1, 10, 'https://aws.amazon.com/cloudwatch/pricing/'),
  /**
   * Standard resolution, per metric an alarm evaluates (a metric-math alarm pays for each of its metrics). The
   * always-free tier: "10 Alarm metrics (only applicable to Standard resolution alarms that list metrics directly and
   * don't use a Metrics Insights query)".
   */
  alarmMetrics: price(0.1, 1, 10, 'https://aws.amazon.com/cloudwatch/pricing/'),
  /** The always-free tier: "3 Dashboards for up to 50 metrics per month". */
  dashboards: price(3, 1, 3, 'https://aws.amazon.com/cloudwatch/pricing/'),
  /** Standard and vended (Step Functions) logs alike, first 10 TB. */
  logIngestionGb: price(0.5, 1, 5, 'https://aws.amazon.com/cloudwatch/pricing/'),
  /** Archived, compressed; the bench counts it uncompressed (an upper bound). */
  logStorageGbMonths: price(0.03, 1, 5, 'https://aws.amazon.com/cloudwatch/pricing/'),
  kmsKeyMonths: price(1, 1, 0, 'https://aws.amazon.com/kms/pricing/'),
  kmsRequests: price(0.03, 10_000, 20_000, 'https://aws.amazon.com/kms/pricing/'),
  secretMonths: price(0.4, 1, 0, 'https://aws.amazon.com/secrets-manager/pricing/'),
  secretCalls: price(0.05, 10_000, 0, 'https://aws.amazon.com/secrets-manager/pricing/'),
  snsPublishes: price(0.5, 1_000_000, 1_000_000, 'https://aws.amazon.com/sns/pricing/', true),
  sqsRequests: price(0.4, 1_000_000, 1_000_000, 'https://aws.amazon.com/sqs/pricing/', true),
  schedulerInvocations: price(1, 1_000_000, 14_000_000, 'https://aws.amazon.com/eventbridge/pricing/'),
  xrayTraces: price(5, 1_000_000, 100_000, 'https://aws.amazon.com/xray/pricing/', true),
} as const satisfies Record<string, Price>;

export type PricedItem = keyof typeof PRICES;

/** What the line items are called in the table. */
export const ITEM_LABELS: Record<PricedItem, string> = {
  stateTransitions: 'Step Functions state transitions',
  expressRequests: 'Step Functions Express requests',
  expressGbSeconds: 'Step Functions Express GB-seconds',
  lambdaRequests: 'Lambda requests',
  lambdaArmGbSeconds: 'Lambda GB-seconds (arm64)',
  dynamoWriteUnits: 'DynamoDB write request units',
  dynamoReadUnits: 'DynamoDB read request units',
  dynamoStorageGbMonths: 'DynamoDB storage',
  dynamoBackupGbMonths: 'DynamoDB point-in-time recovery',
  customMetrics: 'CloudWatch custom metrics',
  alarmMetrics: 'CloudWatch alarms (per alarm metric)',
  dashboards: 'CloudWatch dashboards',
  logIngestionGb: 'CloudWatch Logs ingestion',
  logStorageGbMonths: 'CloudWatch Logs storage',
  kmsKeyMonths: 'KMS keys',
  kmsRequests: 'KMS requests',
  secretMonths: 'Secrets Manager secrets',
  secretCalls: 'Secrets Manager API calls',
  snsPublishes: 'SNS publishes',
  sqsRequests: 'SQS requests',
  schedulerInvocations: 'EventBridge Scheduler invocations',
  xrayTraces: 'X-Ray traces recorded',
};

/** Usage of any priced item, in the units of its price. */
export type Usage = Partial<Record<PricedItem, number>>;

/**
 * Runs a month: daily every day; hourly every hour, of which one a day is the first after the daily sync (the one
 * that sees what the sync changed) and the other 23 see only what time changes; weekly 365/12/7 times.
 */
export const RUNS_PER_MONTH = { daily: 30, hourlyAfterSync: 30, hourly: 690, weekly: 365 / 12 / 7 } as const;

export type Job = keyof typeof RUNS_PER_MONTH;

/** A run's usage as a straight line in the number of projects: `fixed + perProject x projects`. */
export interface LinearUsage {
  readonly fixed: Usage;
  readonly perProject: Usage;
}

/**
 * The straight line through two counted runs of the same job, at `small.projects` and `large.projects` projects.
 * @throws Error when both runs have as many projects (no slope to fit)
 */
export function fitLinear(small: { projects: number; usage: Usage }, large: { projects: number; usage: Usage }): LinearUsage {
  if (small.projects === large.projects) throw new Error('two runs with different numbers of projects are needed');
  const items = new Set([...Object.keys(small.usage), ...Object.keys(large.usage)] as PricedItem[]);
  const fixed: Usage = {};
  const perProject: Usage = {};
  for (const item of items) {
    const [a, b] = [small.usage[item] ?? 0, large.usage[item] ?? 0];
    // A count never falls with more projects: a lower count at the larger sample is noise, counted as no slope.
    const slope = Math.max(0, (b - a) / (large.projects - small.projects));
    perProject[item] = slope;
    fixed[item] = Math.max(0, b - slope * large.projects);
  }
  return { fixed, perProject };
}

/** A run's usage at `projects` projects. */
export function usageAt(line: LinearUsage, projects: number): Usage {
  return sumUsage(line.fixed, scaleUsage(line.perProject, projects));
}

export function scaleUsage(usage: Usage, factor: number): Usage {
  return Object.fromEntries(Object.entries(usage).map(([item, amount]) => [item, amount * factor]));
}

export function sumUsage(...usages: Usage[]): Usage {
  const total: Usage = {};
  for (const usage of usages) {
    for (const [item, amount] of Object.entries(usage) as [PricedItem, number][]) total[item] = (total[item] ?? 0) + amount;
  }
  return total;
}

/** A month of every kind of run at `projects` projects, plus what the month costs whatever runs (keys, secrets, alarms...). */
export function monthlyUsage(jobs: Record<Job, LinearUsage>, projects: number, standing: Usage): Usage {
  const runs = (Object.keys(RUNS_PER_MONTH) as Job[]).map((job) => scaleUsage(usageAt(jobs[job], projects), RUNS_PER_MONTH[job]));
  return sumUsage(standing, ...runs);
}

export interface CostLine {
  readonly item: PricedItem;
  readonly amount: number;
  readonly usd: number;
}

/**
 * The CloudWatch allowances the goals count at list price: the issue counts custom metrics beyond the 10 free, and
 * the same page's 10 free alarm metrics are the same kind of allowance (always free, per account and region).
 */
const WAIVED_AT_LIST_PRICE: ReadonlySet<PricedItem> = new Set(['customMetrics', 'alarmMetrics']);

/**
 * Each item's monthly cost at list price (after the CloudWatch metric and alarm allowances the goals count); with
 * `freeTier`, after every always-free monthly allowance.
 */
export function priceUsage(usage: Usage, options: { freeTier: boolean }): CostLine[] {
  return (Object.keys(PRICES) as PricedItem[]).map((item) => {
    const amount = usage[item] ?? 0;
    const { usd, per, free } = PRICES[item];
    const alwaysWaived = WAIVED_AT_LIST_PRICE.has(item) ? free : 0;
    const billable = Math.max(0, amount - (options.freeTier ? free : alwaysWaived));
    return { item, amount, usd: (billable / per) * usd };
  });
}

export const totalUsd = (lines: readonly CostLine[]) => lines.reduce((sum, line) => sum + line.usd, 0);
