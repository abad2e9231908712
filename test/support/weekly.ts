import { DEFAULT_ALERT_RULES } from '../../shared/domain/alerts.ts';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { type DailySnapshot, dailySnapshot } from '../../shared/domain/daily-metrics.ts';
import { type ClosedBug, type HourlySnapshot, hourlyFigures, type OpenBug } from '../../shared/domain/hourly-metrics.ts';
import { newProject } from '../../shared/domain/project.ts';
import type { WorkItem } from '../../shared/domain/work-item.ts';
import { storedBug } from './hourly.ts';

/** The report's week: Monday 2026-11-30 09:00 UTC, and the Monday before. */
export const NOW = new Date('2026-11-30T09:00:00Z');
export const WEEK_AGO = new Date('2026-11-23T09:00:00Z');

const pull = (projectId: string, number: number, createdAt: string, mergedAt: string): WorkItem => ({
  projectId,
  number,
  kind: 'pull_request',
  title: `PR ${number}`,
  state: 'closed',
  htmlUrl: `https://github.com/${projectId}/pull/${number}`,
  author: 'octocat',
  assignees: [],
  labels: [],
  createdAt,
  updatedAt: mergedAt,
  closedAt: mergedAt,
  mergedAt,
});

/**
 * Two weeks of two projects' issues and pull requests, as GitHub has them on {@link NOW}:
 * acme/api: #1 critical open since Nov 20 (unassigned, $5,000), #2 high open since Nov 27 09:00 ($700),
 * #3 medium Nov 18 → closed Nov 28 ($100), #4 low Nov 19 → closed Nov 21, PR #5 merged in 24 h (Nov 27),
 * PR #6 merged in 72 h (Nov 20). acme/web: #7 critical open since Nov 29 09:00 (assigned, $2,000),
 * #8 high Nov 14 → closed Nov 25 ($300), PR #9 merged in 6 h (Nov 28).
 */
export const TWO_WEEKS: readonly WorkItem[] = [
  storedBug('acme/api', 1, {
    severity: 'critical',
    createdAt: '2026-11-20T09:00:00Z',
    revenueImpact: 5000,
    title: 'Checkout fails for EU cards',
  }),
  storedBug('acme/api', 2, { severity: 'high', createdAt: '2026-11-27T09:00:00Z', revenueImpact: 700, assignees: ['ann'] }),
  storedBug('acme/api', 3, {
    severity: 'medium',
    createdAt: '2026-11-18T09:00:00Z',
    closedAt: '2026-11-28T09:00:00Z',
    revenueImpact: 100,
    assignees: ['ann'],
  }),
  storedBug('acme/api', 4, {
    severity: 'low',
    createdAt: '2026-11-19T09:00:00Z',
    closedAt: '2026-11-21T09:00:00Z',
    revenueImpact: 10,
    assignees: ['ann'],
  }),
  pull('acme/api', 5, '2026-11-26T09:00:00Z', '2026-11-27T09:00:00Z'),
  pull('acme/api', 6, '2026-11-17T09:00:00Z', '2026-11-20T09:00:00Z'),
  storedBug('acme/web', 7, {
    severity: 'critical',
    createdAt: '2026-11-29T09:00:00Z',
    revenueImpact: 2000,
    assignees: ['bob'],
    title: 'Search returns nothing',
  }),
  storedBug('acme/web', 8, {
    severity: 'high',
    createdAt: '2026-11-14T09:00:00Z',
    closedAt: '2026-11-25T09:00:00Z',
    revenueImpact: 300,
    assignees: ['bob'],
  }),
  pull('acme/web', 9, '2026-11-28T10:00:00Z', '2026-11-28T16:00:00Z'),
];

/** The items as they stood at `at`: not yet opened ones left out, not yet closed ones open. */
export function asOf(items: readonly WorkItem[], at: Date): WorkItem[] {
  return items
    .filter((item) => Date.parse(item.createdAt) <= at.getTime())
    .map((item) => {
      if (!item.closedAt || Date.parse(item.closedAt) <= at.getTime()) return item;
      const { closedAt: _closedAt, mergedAt: _mergedAt, ...open } = item;
      return { ...open, state: 'open' as const, updatedAt: item.createdAt };
    });
}

export function dailyOf(projectId: string, at: Date, items = TWO_WEEKS): DailySnapshot {
  return dailySnapshot(
    newProject({ repository: projectId }, new Date('2026-10-01T00:00:00Z')),
    asOf(
      items.filter((item) => item.projectId === projectId),
      at,
    ),
    DEFAULT_BUG_RULES,
    at,
  );
}

export function openBugsOf(items: readonly WorkItem[]): OpenBug[] {
  return items.filter((item) => item.kind === 'bug' && item.state === 'open') as unknown as OpenBug[];
}

export function organizationOf(at: Date, projectIds: readonly string[], items = TWO_WEEKS): HourlySnapshot {
  const now = asOf(items, at);
  const closures = now.filter((item) => item.kind === 'bug' && item.closedAt) as unknown as ClosedBug[];
  const figures = hourlyFigures(projectIds, openBugsOf(now), closures, at, DEFAULT_BUG_RULES, DEFAULT_ALERT_RULES);
  return { ...figures.totals, projectId: '#organization', at: figures.at };
}
