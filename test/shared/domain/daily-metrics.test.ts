import { describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { dailySnapshot } from '../../../shared/domain/daily-metrics.ts';
import { healthScoreV1 } from '../../../shared/domain/health-score.ts';
import { newProject } from '../../../shared/domain/project.ts';
import type { WorkItem } from '../../../shared/domain/work-item.ts';

const NOW = new Date('2026-11-28T02:00:00Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();
const project = newProject({ repository: 'acme/api', slaHours: { high: 48 } }, NOW);

const base = {
  projectId: 'acme/api',
  title: 't',
  htmlUrl: 'https://github.com/acme/api/issues/1',
  author: 'a',
  labels: [],
  updatedAt: hoursAgo(0),
};
const bug = (number: number, fields: Partial<WorkItem>): WorkItem => ({
  ...base,
  number,
  kind: 'bug',
  state: 'open',
  assignees: ['dev'],
  createdAt: hoursAgo(1),
  severity: 'medium',
  revenueImpact: 100,
  ...fields,
});
const pull = (number: number, fields: Partial<WorkItem>): WorkItem => ({
  ...base,
  number,
  kind: 'pull_request',
  state: 'open',
  assignees: [],
  createdAt: hoursAgo(1),
  ...fields,
});

const items: WorkItem[] = [
  bug(1, { severity: 'critical', assignees: [], createdAt: hoursAgo(24), revenueImpact: 5000 }), // at the SLA: not breached
  bug(2, { severity: 'critical', createdAt: hoursAgo(25), revenueImpact: 3000 }), // breached
  bug(3, { severity: 'high', createdAt: hoursAgo(49), revenueImpact: 700 }), // breached by the project's 48 h override
  bug(4, { state: 'closed', createdAt: hoursAgo(200), closedAt: hoursAgo(2), revenueImpact: 9999 }),
  bug(5, { state: 'closed', createdAt: hoursAgo(300), closedAt: hoursAgo(7 * 24 + 1) }), // closed 7 days + 1 h ago: outside
  { ...base, number: 6, kind: 'issue', state: 'open', assignees: [], createdAt: hoursAgo(1) },
  pull(7, { state: 'closed', createdAt: hoursAgo(30), mergedAt: hoursAgo(20), closedAt: hoursAgo(20) }), // 10 h to merge
  pull(8, { state: 'closed', createdAt: hoursAgo(50), mergedAt: hoursAgo(20), closedAt: hoursAgo(20) }), // 30 h
  pull(9, { createdAt: hoursAgo(15 * 24) }), // stale
  pull(10, { createdAt: hoursAgo(13 * 24) }),
];

describe('dailySnapshot', () => {
  it('computes the figures of the day from the stored items', () => {
    const snapshot = dailySnapshot(project, items, DEFAULT_BUG_RULES, NOW);
    expect(snapshot).toMatchObject({
      projectId: 'acme/api',
      date: '2026-11-28',
      asOf: '2026-11-28T02:00:00.000Z',
      openBugs: { critical: 2, high: 1, medium: 0, low: 0 },
      bugsOpened1d: 0,
      bugsOpened7d: 3,
      bugsClosed1d: 1,
      bugsClosed7d: 1,
      bugsClosed30d: 2,
      slaBreaches: 2,
      unassignedCritical: 1,
      revenueAtRisk: 8700,
      openPullRequests: 2,
      mergedPullRequests7d: 2,
      medianHoursToMerge7d: 20,
      stalePullRequests: 1,
    });
  });

  it('stores the health score with its inputs, so the score can be explained', () => {
    const { health } = dailySnapshot(project, items, DEFAULT_BUG_RULES, NOW);
    expect(health.inputs).toMatchObject({ openCritical: 2, openHigh: 1, slaBreaches: 2, unassignedCritical: 1, revenueAtRisk: 8700 });
    expect(health.inputs).toMatchObject({ openBugs: 3, bugsClosed30d: 2 });
    // health-v2 at scale 1 (5 active bugs): 100 - 20 (critical) - 2.4 (high) - 6.2 (SLA) - 4 (unassigned) - 8.6 (revenue)
    // - 3.1 (backlog 3-1) - 1 (stale), rounded
    expect(health).toMatchObject({ formulaVersion: 'health-v2', score: 55, scale: 1 });
    // health-v1 from the same inputs: 100 - 30 (critical) - 5 (high) - 8 (SLA) - 5 (unassigned) - 8 (revenue)
    // - 4 (backlog 3-1) - 1 (stale)
    expect(healthScoreV1(health.inputs).score).toBe(39);
  });

  it('computes a replayed day from what existed then, not from the items as they are now', () => {
    const replayed = new Date(NOW.getTime() - 100 * 3_600_000);
    expect(dailySnapshot(project, items, DEFAULT_BUG_RULES, replayed)).toMatchObject({
      date: '2026-11-23',
      // Bugs 1-3 and pulls 7-8 did not exist yet; bug 4 (closed 2 h before NOW) was open, 100 h old: no breach.
      openBugs: { critical: 0, high: 0, medium: 1, low: 0 },
      bugsOpened7d: 1,
      bugsClosed1d: 0,
      bugsClosed7d: 1,
      bugsClosed30d: 1,
      slaBreaches: 0,
      unassignedCritical: 0,
      revenueAtRisk: 9999,
      openPullRequests: 2,
      mergedPullRequests7d: 0,
      stalePullRequests: 0,
    });
  });

  it('reports no median time to merge when nothing merged this week', () => {
    expect(dailySnapshot(project, [], DEFAULT_BUG_RULES, NOW)).toMatchObject({ medianHoursToMerge7d: null, health: { score: 100 } });
  });
});
