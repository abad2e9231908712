import { describe, expect, it } from 'vitest';
import type { JobRun, JobType, RunStatus } from '../../../shared/domain/job-run.ts';
import { isoWeekOf, reportWeekOf, weeklyReport } from '../../../shared/domain/weekly-report.ts';
import { asOf, dailyOf, NOW, openBugsOf, organizationOf, TWO_WEEKS, WEEK_AGO } from '../../support/weekly.ts';

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
  now: NOW,
  organization: { current: organizationOf(NOW, ['acme/api', 'acme/web']), weekAgo: organizationOf(WEEK_AGO, ['acme/api', 'acme/web']) },
  projects: [
    { projectId: 'acme/new', displayName: 'New' },
    {
      projectId: 'acme/web',
      displayName: 'Web',
      current: dailyOf('acme/web', NOW),
      weekAgo: dailyOf('acme/web', WEEK_AGO),
      status: 'warning',
    },
    {
      projectId: 'acme/api',
      displayName: 'API',
      current: dailyOf('acme/api', NOW),
      weekAgo: dailyOf('acme/api', WEEK_AGO),
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
    expect(report).toMatchObject({ weekStart: '2026-11-23T09:00:00.000Z', weekEnd: '2026-11-30T09:00:00.000Z' });
  });

  it('lists projects worst first with their health change, status, critical bugs and revenue at risk', () => {
    const api = dailyOf('acme/api', NOW);
    const web = dailyOf('acme/web', NOW);
    expect(report.projects).toEqual([
      {
        projectId: 'acme/api',
        displayName: 'API',
        score: api.health.score,
        scoreChange: api.health.score - dailyOf('acme/api', WEEK_AGO).health.score,
        status: 'critical',
        openCritical: 1,
        revenueAtRisk: 5700,
      },
      {
        projectId: 'acme/web',
        displayName: 'Web',
        score: web.health.score,
        scoreChange: web.health.score - dailyOf('acme/web', WEEK_AGO).health.score,
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

  it("reports each job's success rate and average duration over the runs that ended", () => {
    expect(report.reliability).toEqual([
      { jobType: 'daily_sync', runs: 7, completed: 6, failed: 1, timeouts: 0, successRate: 6 / 7, averageDurationMs: 55_714 },
      { jobType: 'hourly_metrics', runs: 168, completed: 160, failed: 0, timeouts: 5, successRate: 160 / 165, averageDurationMs: 26_061 },
      { jobType: 'weekly_report', runs: 0, completed: 0, failed: 0, timeouts: 0, successRate: undefined, averageDurationMs: undefined },
    ]);
  });

  it('falls back to the daily snapshots before the first hourly run', () => {
    const early = weeklyReport({
      now: NOW,
      organization: {},
      projects: [{ projectId: 'acme/api', displayName: 'API', current: dailyOf('acme/api', NOW) }],
      openCriticalBugs: [],
      runs: [],
    });
    expect(early.kpis[0]).toMatchObject({ label: 'Revenue at risk', value: 5700, previous: undefined });
  });

  it('shows no score change across a change of health formula (health-v1 a week ago, health-v2 now)', () => {
    const weekAgo = dailyOf('acme/api', WEEK_AGO);
    const acrossVersions = weeklyReport({
      now: NOW,
      organization: {},
      projects: [
        {
          projectId: 'acme/api',
          displayName: 'API',
          current: dailyOf('acme/api', NOW),
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
    expect(report.week).toEqual(reportWeekOf(NOW));
  });

  it('draws the trends from the week-end snapshots, oldest first, with a gap where a week has none', () => {
    const at = (weeksAgo: number, hoursBefore = 0) => new Date(NOW.getTime() - weeksAgo * 7 * 86_400_000 - hoursBefore * 3_600_000);
    const snapshot = (weeksAgo: number, revenueAtRisk: number, hoursBefore = 0) => ({
      ...organizationOf(at(weeksAgo, hoursBefore), ['acme/api']),
      revenueAtRisk,
    });
    const withHistory = weeklyReport({
      now: NOW,
      organization: {
        current: organizationOf(NOW, ['acme/api', 'acme/web']),
        weekAgo: organizationOf(WEEK_AGO, ['acme/api', 'acme/web']),
        // Week 3 has two snapshots (the newest counts); week 5 has none (the one from week 6 must not fill it).
        earlierWeeks: [snapshot(2, 4000), snapshot(3, 3000, 30), snapshot(3, 3500), snapshot(4, 2500), snapshot(6, 900)],
      },
      projects: [],
      openCriticalBugs: [],
      runs: [],
    });
    const [revenue, critical] = withHistory.trends;
    expect(revenue!.points).toEqual([
      { week: '2026-W42', value: undefined },
      { week: '2026-W43', value: 900 },
      { week: '2026-W44', value: undefined },
      { week: '2026-W45', value: 2500 },
      { week: '2026-W46', value: 3500 },
      { week: '2026-W47', value: 4000 },
      { week: '2026-W48', value: 5400 },
      { week: '2026-W49', value: 7700 },
    ]);
    expect(critical).toMatchObject({ label: 'Open critical bugs', unit: 'count' });
    expect(critical!.points.at(-1)).toEqual({ week: '2026-W49', value: 2 });
    expect(report.trends[0]!.points.filter((point) => point.value !== undefined)).toHaveLength(2);
  });

  it("carries each project's repository name for its link", () => {
    const named = weeklyReport({
      now: NOW,
      organization: {},
      projects: [{ projectId: 'acme/api', displayName: 'API', fullName: 'Acme/API' }],
      openCriticalBugs: [],
      runs: [],
    });
    expect(named.projects[0]).toMatchObject({ projectId: 'acme/api', fullName: 'Acme/API' });
  });
});
