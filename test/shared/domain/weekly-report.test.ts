import { describe, expect, it } from 'vitest';
import type { JobRun, JobType, RunStatus } from '../../../shared/domain/job-run.ts';
import { coveredWeeks, isoWeekOf, reportWeekOf, weekActivity, weeklyReport } from '../../../shared/domain/weekly-report.ts';
import { REPORT_WEEKS, SUCCESS_RATES, WEEK_BEFORE_END, WEEK_END, WEEK_INPUTS } from '../../support/report-fixtures.ts';
import { asOf, dailyOf, NOW, openBugsOf, organizationOf, TWO_WEEKS } from '../../support/weekly.ts';

const [COVERED, BEFORE] = REPORT_WEEKS as [(typeof REPORT_WEEKS)[0], (typeof REPORT_WEEKS)[0]];

let run = 0;
const runOf = (jobType: JobType, status: RunStatus, durationMs?: number): JobRun =>
  ({
    runId: `run-${++run}`,
    jobType,
    status,
    trigger: 'schedule',
    scheduledTime: '2026-11-25T00:00:00Z',
    executionArn: 'arn',
    createdAt: '',
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
    ...(durationMs === undefined ? {} : { durationMs }),
  }) as JobRun;
const repeat = <T>(count: number, make: () => T) => Array.from({ length: count }, make);

const report = weeklyReport({
  ...WEEK_INPUTS,
  organization: {
    current: organizationOf(WEEK_END, ['acme/api', 'acme/web']),
    weekAgo: organizationOf(WEEK_BEFORE_END, ['acme/api', 'acme/web']),
  },
  projects: [
    { projectId: 'acme/new', displayName: 'New' },
    {
      projectId: 'acme/web',
      displayName: 'Web',
      current: dailyOf('acme/web', WEEK_END),
      weekAgo: dailyOf('acme/web', WEEK_BEFORE_END),
      status: 'warning',
    },
    {
      projectId: 'acme/api',
      displayName: 'API',
      current: dailyOf('acme/api', WEEK_END),
      weekAgo: dailyOf('acme/api', WEEK_BEFORE_END),
      status: 'critical',
    },
  ],
  openCriticalBugs: openBugsOf(asOf(TWO_WEEKS, NOW)).filter((bug) => bug.severity === 'critical'),
  runs: [
    ...repeat(6, () => runOf('daily_sync', 'completed', 60_000)),
    runOf('daily_sync', 'failed', 30_000),
    ...repeat(160, () => runOf('hourly_metrics', 'completed', 10_000)),
    ...repeat(5, () => runOf('hourly_metrics', 'timeout', 540_000)),
    ...repeat(3, () => runOf('hourly_metrics', 'skipped')),
  ],
});

describe('weeklyReport, over a fixture spanning two weeks', () => {
  it('gives each headline figure with the same figure a week before', () => {
    expect(report.kpis.map((kpi) => [kpi.label, kpi.value, kpi.previous])).toEqual([
      ['Revenue at risk', 7700, 5400],
      ['Open critical bugs', 2, 1],
      ['Open high bugs', 1, 1],
      ['Open medium bugs', 0, 1],
      ['Open low bugs', 0, 0],
      ['Bugs opened', 2, 3],
      ['Bugs closed', 2, 1],
      ['Velocity (bugs resolved in 7 days)', 2, 1],
      ['SLA breaches', 1, 2],
      ['Unassigned critical bugs', 1, 1],
    ]);
    expect(report).toMatchObject({ weekStart: '2026-11-23T00:00:00.000Z', weekEnd: '2026-11-30T00:00:00.000Z' });
  });

  it('lists projects worst first with their health change, status, critical bugs and revenue at risk', () => {
    const api = dailyOf('acme/api', WEEK_END);
    const web = dailyOf('acme/web', WEEK_END);
    expect(report.projects).toEqual([
      {
        projectId: 'acme/api',
        displayName: 'API',
        score: api.health.score,
        scoreChange: api.health.score - dailyOf('acme/api', WEEK_BEFORE_END).health.score,
        status: 'critical',
        openCritical: 1,
        revenueAtRisk: 5700,
      },
      {
        projectId: 'acme/web',
        displayName: 'Web',
        score: web.health.score,
        scoreChange: web.health.score - dailyOf('acme/web', WEEK_BEFORE_END).health.score,
        status: 'warning',
        openCritical: 1,
        revenueAtRisk: 2000,
      },
      {
        projectId: 'acme/new',
        displayName: 'New',
        score: undefined,
        scoreChange: undefined,
        status: 'unknown',
        openCritical: 0,
        revenueAtRisk: 0,
      },
    ]);
    expect(report.statusCounts).toEqual({ healthy: 0, warning: 1, critical: 1, unknown: 1 });
  });

  it('ranks the open critical bugs by daily impact, with their age in days', () => {
    expect(report.criticalBugs.map((bug) => [`${bug.projectId}#${bug.number}`, bug.ageDays, bug.revenueImpact, bug.url])).toEqual([
      ['acme/api#1', 10, 5000, 'https://github.com/acme/api/issues/1'],
      ['acme/web#7', 1, 2000, 'https://github.com/acme/web/issues/7'],
    ]);
    expect(report.criticalBugsTotal).toBe(2);
  });

  it('counts merged pull requests and the median time to merge across projects', () => {
    expect(report.pullRequests).toEqual({ merged: 2, previousMerged: 1, medianHoursToMerge: 15 });
  });

  it("reports each job's runs and average duration in the week, and its success rate at the week's end as the watchdog judges it", () => {
    // The week's own runs would say 6 of 7 (85.7%) for the daily job; its judged sample (the last 20 runs) says 95%.
    expect(report.reliability).toEqual([
      {
        jobType: 'daily_sync',
        runs: 7,
        completed: 6,
        failed: 1,
        timeouts: 0,
        successRate: SUCCESS_RATES.jobs.daily_sync,
        averageDurationMs: 55_714,
      },
      {
        jobType: 'hourly_metrics',
        runs: 168,
        completed: 160,
        failed: 0,
        timeouts: 5,
        successRate: SUCCESS_RATES.jobs.hourly_metrics,
        averageDurationMs: 26_061,
      },
      {
        jobType: 'weekly_report',
        runs: 0,
        completed: 0,
        failed: 0,
        timeouts: 0,
        successRate: SUCCESS_RATES.jobs.weekly_report,
        averageDurationMs: undefined,
      },
    ]);
    expect(report.successRateSample).toEqual({ windowDays: 7, minRuns: 20 });
  });

  it('falls back to the daily snapshots before the first hourly run', () => {
    const early = weeklyReport({
      ...WEEK_INPUTS,
      organization: {},
      projects: [{ projectId: 'acme/api', displayName: 'API', current: dailyOf('acme/api', WEEK_END) }],
      openCriticalBugs: [],
      runs: [],
    });
    expect(early.kpis[0]).toMatchObject({ label: 'Revenue at risk', value: 5700, previous: undefined });
  });

  it('shows no score change across a change of health formula (health-v1 a week ago, health-v2 now)', () => {
    const weekAgo = dailyOf('acme/api', WEEK_BEFORE_END);
    const acrossVersions = weeklyReport({
      ...WEEK_INPUTS,
      organization: {},
      projects: [
        {
          projectId: 'acme/api',
          displayName: 'API',
          current: dailyOf('acme/api', WEEK_END),
          weekAgo: { ...weekAgo, health: { ...weekAgo.health, score: 12, formulaVersion: 'health-v1' } } as typeof weekAgo,
        },
      ],
      openCriticalBugs: [],
      runs: [],
    });
    expect(acrossVersions.projects[0]).toMatchObject({ projectId: 'acme/api', scoreChange: undefined });
  });

  it('names the ISO week a report belongs to', () => {
    expect(isoWeekOf(NOW)).toBe('2026-W49');
    expect(isoWeekOf(new Date('2026-11-29T23:59:59Z'))).toBe('2026-W48');
    expect(isoWeekOf(new Date('2027-01-01T09:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-04T09:00:00Z'))).toBe('2027-W01');
  });

  it('labels a week with its ISO week and its Monday-to-Sunday dates', () => {
    expect(reportWeekOf(NOW)).toEqual({ id: '2026-W49', label: '2026-W49 · 30 Nov – 6 Dec 2026' });
    expect(reportWeekOf(new Date('2026-12-13T23:59:59Z'))).toEqual({ id: '2026-W50', label: '2026-W50 · 7 – 13 Dec 2026' });
    expect(reportWeekOf(new Date('2027-01-01T09:00:00Z'))).toEqual({ id: '2026-W53', label: '2026-W53 · 28 Dec 2026 – 3 Jan 2027' });
  });

  it('covers the last whole ISO week before the run in the time zone, never the week it is sent in', () => {
    expect(report.week).toEqual({ id: '2026-W48', label: '2026-W48 · 23 – 29 Nov 2026' });
    const weekOf = (now: string, timeZone = 'UTC') => {
      const [week] = coveredWeeks(new Date(now), timeZone, 1);
      return { label: week!.label, start: week!.start.toISOString(), end: week!.end.toISOString() };
    };
    expect(weekOf('2026-11-30T09:00:00Z')).toEqual({
      label: '2026-W48 · 23 – 29 Nov 2026',
      start: '2026-11-23T00:00:00.000Z',
      end: '2026-11-30T00:00:00.000Z',
    });
    // Sunday night: that week is not over yet.
    expect(weekOf('2026-11-29T23:59:00Z').label).toBe('2026-W47 · 16 – 22 Nov 2026');
    // Monday 03:00 UTC is still Sunday in New York: the week before is the last whole one there.
    expect(weekOf('2026-11-30T03:00:00Z', 'America/New_York')).toEqual({
      label: '2026-W47 · 16 – 22 Nov 2026',
      start: '2026-11-16T05:00:00.000Z',
      end: '2026-11-23T05:00:00.000Z',
    });
    // Berlin moves to summer time on Sunday 29 March 2026: that week is an hour short.
    expect(weekOf('2026-03-30T07:00:00Z', 'Europe/Berlin')).toEqual({
      label: '2026-W13 · 23 – 29 Mar 2026',
      start: '2026-03-22T23:00:00.000Z',
      end: '2026-03-29T22:00:00.000Z',
    });
    expect(weekOf('2027-01-04T09:00:00Z').label).toBe('2026-W53 · 28 Dec 2026 – 3 Jan 2027');
    expect(REPORT_WEEKS.map((week) => week.id)).toEqual([
      '2026-W48',
      '2026-W47',
      '2026-W46',
      '2026-W45',
      '2026-W44',
      '2026-W43',
      '2026-W42',
      '2026-W41',
    ]);
  });

  it("counts the week's bugs opened and closed and pull requests merged within it, its first instant in, its end out", () => {
    expect(weekActivity(TWO_WEEKS, COVERED.start, COVERED.end)).toEqual({
      bugsOpened: 2,
      bugsClosed: 2,
      merged: 2,
      hoursToMerge: [24, 6],
    });
    expect(weekActivity(TWO_WEEKS, BEFORE.start, BEFORE.end)).toEqual({ bugsOpened: 3, bugsClosed: 1, merged: 1, hoursToMerge: [72] });
    // #1 opened and PR #6 merged at 20 Nov 09:00; #2 opened and PR #5 merged at 27 Nov 09:00.
    const atStart = new Date('2026-11-20T09:00:00Z');
    expect(weekActivity(TWO_WEEKS, atStart, new Date(atStart.getTime() + 7 * 86_400_000))).toMatchObject({ bugsOpened: 1, merged: 1 });
    expect(weekActivity(TWO_WEEKS, new Date(atStart.getTime() - 7 * 86_400_000), atStart)).toMatchObject({ bugsOpened: 3, merged: 0 });
  });

  it('draws the trends from the week-end snapshots, oldest first, with a gap where a week has none', () => {
    const at = (weeksAgo: number, hoursBefore = 0) => new Date(WEEK_END.getTime() - weeksAgo * 7 * 86_400_000 - hoursBefore * 3_600_000);
    const snapshot = (weeksAgo: number, revenueAtRisk: number, hoursBefore = 0) => ({
      ...organizationOf(at(weeksAgo, hoursBefore), ['acme/api']),
      revenueAtRisk,
    });
    const withHistory = weeklyReport({
      ...WEEK_INPUTS,
      organization: {
        current: organizationOf(WEEK_END, ['acme/api', 'acme/web']),
        weekAgo: organizationOf(WEEK_BEFORE_END, ['acme/api', 'acme/web']),
        // Week 3 has two snapshots (the newest counts); week 5 has none (the one from week 6 must not fill it).
        earlierWeeks: [snapshot(2, 4000), snapshot(3, 3000, 30), snapshot(3, 3500), snapshot(4, 2500), snapshot(6, 900)],
      },
      projects: [],
      openCriticalBugs: [],
      runs: [],
    });
    const [revenue, critical] = withHistory.trends;
    expect(revenue!.points).toEqual([
      { week: '2026-W41', value: undefined },
      { week: '2026-W42', value: 900 },
      { week: '2026-W43', value: undefined },
      { week: '2026-W44', value: 2500 },
      { week: '2026-W45', value: 3500 },
      { week: '2026-W46', value: 4000 },
      { week: '2026-W47', value: 5400 },
      { week: '2026-W48', value: 7700 },
    ]);
    expect(critical).toMatchObject({ label: 'Open critical bugs', unit: 'count' });
    expect(critical!.points.at(-1)).toEqual({ week: '2026-W48', value: 2 });
    expect(report.trends[0]!.points.filter((point) => point.value !== undefined)).toHaveLength(2);
  });

  it("carries each project's repository name for its link", () => {
    const named = weeklyReport({
      ...WEEK_INPUTS,
      organization: {},
      projects: [{ projectId: 'acme/api', displayName: 'API', fullName: 'Acme/API' }],
      openCriticalBugs: [],
      runs: [],
    });
    expect(named.projects[0]).toMatchObject({ projectId: 'acme/api', fullName: 'Acme/API' });
  });
});
