import type { ReportSettings } from '../../shared/domain/report-email.ts';
import { coveredWeeks, type SuccessRates, TREND_WEEKS, type WeeklyReport, weekActivity } from '../../shared/domain/weekly-report.ts';
import { HOSTILE_TITLES } from './hostile-text.ts';
import { NOW, TWO_WEEKS } from './weekly.ts';

/** The weeks a Monday 09:00 run ({@link NOW}) reports on, in UTC, newest first: 23 – 29 Nov 2026 (2026-W48), then earlier. */
export const REPORT_WEEKS = coveredWeeks(NOW, 'UTC', TREND_WEEKS);
const [COVERED, BEFORE] = REPORT_WEEKS as [(typeof REPORT_WEEKS)[0], (typeof REPORT_WEEKS)[0]];
/** Monday 30 Nov 00:00 UTC, and the Monday before: the ends of the week covered and of the week before. */
export const WEEK_END = COVERED.end;
export const WEEK_BEFORE_END = BEFORE.end;

/**
 * Each job's success rate at the covered week's end, as the watchdog judges it: the daily job's last 20 runs reach
 * back three weeks (19 completed), the hourly job's week holds 168, the weekly job has run 6 times (not judged).
 */
export const SUCCESS_RATES: SuccessRates = {
  windowDays: 7,
  minRuns: 20,
  jobs: {
    daily_sync: { completed: 19, runs: 20, since: '2026-11-10T06:00:00Z', percent: 95 },
    hourly_metrics: { completed: 165, runs: 168, since: '2026-11-23T00:00:00Z', percent: 98.2 },
    weekly_report: { completed: 6, runs: 6, since: '2026-10-19T09:00:00Z', percent: null },
  },
};

/**
 * What the builder gives a report of {@link TWO_WEEKS} besides the snapshots: the run's time, the weeks, their
 * activity, the success rates at the week's end.
 */
export const WEEK_INPUTS = {
  now: NOW,
  weeks: REPORT_WEEKS,
  successRates: SUCCESS_RATES,
  activity: {
    covered: weekActivity(TWO_WEEKS, COVERED.start, COVERED.end),
    weekBefore: weekActivity(TWO_WEEKS, BEFORE.start, BEFORE.end),
  },
};

/** The settings a deployment gives the email: its name, the dashboard and the console. */
export const REPORT_SETTINGS: ReportSettings = {
  organizationName: 'Acme Demo',
  dashboardUrl: 'https://dashboard.acme.example/cto',
  consoleUrl: 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/statemachines',
  contact: 'platform-team@acme.example',
};

const weeks = REPORT_WEEKS.map((week) => week.id).reverse();
const trendOf = (label: string, unit: 'dollars_per_day' | 'count', values: readonly (number | undefined)[]) => ({
  label,
  unit,
  points: weeks.map((week, index) => ({ week, ...(values[index] === undefined ? {} : { value: values[index] }) })),
});

/** A week of the built-in demo (`npm start`): its five acme-demo repositories, a month and a half of history. */
export const DEMO_REPORT: WeeklyReport = {
  week: { id: COVERED.id, label: COVERED.label },
  weekStart: COVERED.start.toISOString(),
  weekEnd: COVERED.end.toISOString(),
  kpis: [
    { label: 'Revenue at risk', value: 48_350, previous: 33_800, unit: 'dollars_per_day', higherIsBetter: false },
    { label: 'Open critical bugs', value: 7, previous: 5, unit: 'count', higherIsBetter: false },
    { label: 'Open high bugs', value: 18, previous: 18, unit: 'count', higherIsBetter: false },
    { label: 'Open medium bugs', value: 16, previous: 19, unit: 'count', higherIsBetter: false },
    { label: 'Open low bugs', value: 11, previous: 12, unit: 'count', higherIsBetter: false },
    { label: 'Bugs opened', value: 14, previous: 9, unit: 'count', higherIsBetter: false },
    { label: 'Bugs closed', value: 12, previous: 15, unit: 'count', higherIsBetter: true },
    { label: 'Velocity (bugs resolved in 7 days)', value: 12, previous: 15, unit: 'count', higherIsBetter: true },
    { label: 'SLA breaches', value: 26, previous: 21, unit: 'count', higherIsBetter: false },
    { label: 'Unassigned critical bugs', value: 2, previous: 1, unit: 'count', higherIsBetter: false },
  ],
  statusCounts: { healthy: 2, warning: 2, critical: 1, unknown: 0 },
  projects: [
    ['checkout-api', 'critical', 31, -9, 3, 26_400],
    ['web-storefront', 'warning', 58, 4, 2, 12_150],
    ['data-pipeline', 'warning', 64, -2, 1, 6_300],
    ['auth-service', 'healthy', 82, 0, 1, 3_500],
    ['mobile-app', 'healthy', 91, 6, 0, 0],
  ].map(([name, status, score, scoreChange, openCritical, revenueAtRisk]) => ({
    projectId: `acme-demo/${name}`,
    displayName: String(name),
    fullName: `acme-demo/${name}`,
    status: status as WeeklyReport['projects'][number]['status'],
    score: Number(score),
    scoreChange: Number(scoreChange),
    openCritical: Number(openCritical),
    revenueAtRisk: Number(revenueAtRisk),
  })),
  projectsOmitted: 0,
  criticalBugs: [
    ['checkout-api', 139, 'Payment webhook fails with 500 when the upstream times out', 111, 12_000],
    ['web-storefront', 57, 'Checkout form logs customer emails in error messages', 9, 9_500],
    ['checkout-api', 142, 'Refund endpoint returns stale data after a retry', 4, 8_200],
    ['data-pipeline', 23, 'Revenue rollup job drops events during deploys', 16, 6_300],
    ['checkout-api', 150, 'Tax calculation crashes on an empty payload', 2, 6_200],
    ['auth-service', 88, 'SSO callback is twice as slow since the last release', 1, 3_500],
    ['web-storefront', 61, 'Search results ignore the user locale', 0, 2_650],
  ].map(([name, number, title, ageDays, revenueImpact]) => ({
    projectId: `acme-demo/${name}`,
    number: Number(number),
    title: String(title),
    url: `https://github.com/acme-demo/${name}/issues/${number}`,
    ageDays: Number(ageDays),
    revenueImpact: Number(revenueImpact),
  })),
  criticalBugsTotal: 7,
  pullRequests: { merged: 23, previousMerged: 19, medianHoursToMerge: 17 },
  reliability: [
    {
      jobType: 'daily_sync',
      runs: 7,
      completed: 7,
      failed: 0,
      timeouts: 0,
      successRate: SUCCESS_RATES.jobs.daily_sync,
      averageDurationMs: 41_200,
    },
    {
      jobType: 'hourly_metrics',
      runs: 168,
      completed: 165,
      failed: 1,
      timeouts: 2,
      successRate: SUCCESS_RATES.jobs.hourly_metrics,
      averageDurationMs: 3_900,
    },
    {
      jobType: 'weekly_report',
      runs: 1,
      completed: 1,
      failed: 0,
      timeouts: 0,
      successRate: SUCCESS_RATES.jobs.weekly_report,
      averageDurationMs: 8_100,
    },
  ],
  successRateSample: { windowDays: SUCCESS_RATES.windowDays, minRuns: SUCCESS_RATES.minRuns },
  trends: [
    trendOf('Revenue at risk', 'dollars_per_day', [undefined, 21_400, 25_900, 24_300, 30_750, 29_100, 33_800, 48_350]),
    trendOf('Open critical bugs', 'count', [undefined, 3, 4, 4, 6, 5, 5, 7]),
  ],
};

/** The demo's first week: nothing a week old, so no change column and no trends. */
export const FIRST_WEEK_REPORT: WeeklyReport = {
  ...DEMO_REPORT,
  kpis: DEMO_REPORT.kpis.map(({ previous: _previous, ...kpi }) => kpi),
  projects: DEMO_REPORT.projects.map(({ scoreChange: _scoreChange, ...project }) => project),
  pullRequests: { merged: 23, medianHoursToMerge: 17 },
  trends: DEMO_REPORT.trends.map((trend) => ({
    ...trend,
    points: trend.points.map((point, index) => (index === TREND_WEEKS - 1 ? point : { week: point.week })),
  })),
};

/** The demo with every string GitHub controls replaced by a hostile one, and links to elsewhere among the bugs'. */
export const HOSTILE_REPORT: WeeklyReport = {
  ...DEMO_REPORT,
  projects: HOSTILE_TITLES.map((title, index) => ({
    ...DEMO_REPORT.projects[0]!,
    projectId: `acme/${index}`,
    displayName: title,
    fullName: index % 2 ? title : `acme/repo-${index}`,
  })),
  criticalBugs: HOSTILE_TITLES.map((title, index) => ({
    projectId: index % 2 ? title : 'acme/api',
    number: index + 1,
    title,
    url:
      index % 3 === 0
        ? 'javascript:alert(1)'
        : index % 3 === 1
          ? 'https://evil.example/phish'
          : `https://github.com/acme/api/issues/${index + 1}`,
    ageDays: index,
    revenueImpact: 1000,
  })),
};
