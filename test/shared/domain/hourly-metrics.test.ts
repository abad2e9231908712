import { describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES, type Severity } from '../../../shared/domain/bugs.ts';
import { type ClosedBug, closuresSince, hourlyFigures, type OpenBug } from '../../../shared/domain/hourly-metrics.ts';

const now = new Date('2026-11-28T12:00:00Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const filters = { slaBreachSeverities: ['critical', 'high'] as Severity[], unassignedSeverities: ['critical'] as Severity[] };

let number = 0;
function bug(projectId: string, severity: Severity, revenueImpact: number, openedAgo: number, assignees: string[] = []): OpenBug {
  number++;
  return {
    projectId,
    number,
    title: `bug ${number}`,
    htmlUrl: `https://github.com/${projectId}/issues/${number}`,
    severity,
    revenueImpact,
    assignees,
    createdAt: ago(openedAgo),
  };
}
const closed = (projectId: string, closedAgo: number): ClosedBug => ({ projectId, number: ++number, closedAt: ago(closedAgo) });

describe('hourlyFigures', () => {
  it('sums revenue at risk per project and in total, to the cent', () => {
    const figures = hourlyFigures(
      ['acme/api', 'acme/web', 'acme/idle'],
      [
        bug('acme/api', 'critical', 5000, HOUR),
        bug('acme/api', 'low', 0.1, HOUR),
        bug('acme/web', 'high', 2500, HOUR),
        bug('acme/web', 'medium', 0.2, HOUR),
      ],
      [],
      now,
      DEFAULT_BUG_RULES,
      filters,
    );
    expect(figures.projects.map((project) => [project.projectId, project.revenueAtRisk, project.openBugs])).toEqual([
      ['acme/api', 5000.1, 2],
      ['acme/idle', 0, 0],
      ['acme/web', 2500.2, 2],
    ]);
    expect(figures.totals).toMatchObject({
      projects: 3,
      openBugs: 4,
      revenueAtRisk: 7500.3,
      openBySeverity: { critical: 1, high: 1, medium: 1, low: 1 },
    });
    expect(figures.at).toBe('2026-11-28T12:00:00.000Z');
  });

  it('counts velocity in (now - 7 d, now], the week before in (now - 14 d, now - 7 d]: one closed exactly 7 days ago is last week', () => {
    const DAY = 24 * HOUR;
    const figures = hourlyFigures(
      ['acme/api'],
      [],
      [
        closed('acme/api', 0), // closed right now: this week
        closed('acme/api', 7 * DAY - 1000), // one second inside this week
        closed('acme/api', 7 * DAY), // exactly 7 days: the previous week
        closed('acme/api', 14 * DAY - 1000), // last second of the previous week
        closed('acme/api', 14 * DAY), // exactly 14 days: outside both
        closed('acme/api', -1000), // after "now" (a replay with --at): ignored
      ],
      now,
      DEFAULT_BUG_RULES,
      filters,
    );
    expect(figures.totals.velocity).toEqual({ last7Days: 2, previous7Days: 2 });
    expect(closuresSince(now)).toBe(ago(14 * DAY));
  });

  it('breaches the SLA one second past the limit, not at it, for every severity; only the filtered severities alert', () => {
    const { slaHours } = DEFAULT_BUG_RULES; // critical 24 h, high 72 h, medium 168 h, low 720 h
    const figures = hourlyFigures(
      ['acme/api'],
      [
        bug('acme/api', 'critical', 0, slaHours.critical * HOUR, ['ann']), // exactly at the limit
        bug('acme/api', 'critical', 0, slaHours.critical * HOUR + 1000, ['ann']),
        bug('acme/api', 'high', 0, slaHours.high * HOUR + 1000, ['ann']),
        bug('acme/api', 'medium', 0, slaHours.medium * HOUR + 1000, ['ann']),
        bug('acme/api', 'low', 0, slaHours.low * HOUR, ['ann']),
      ],
      [],
      now,
      DEFAULT_BUG_RULES,
      filters,
    );
    expect(figures.totals.slaBreaches).toEqual({ critical: 1, high: 1, medium: 1, low: 0 });
    expect(figures.totals.alertingSlaBreaches).toBe(2);
    const criticalOnly = hourlyFigures(['acme/api'], [bug('acme/api', 'high', 0, 100 * HOUR)], [], now, DEFAULT_BUG_RULES, {
      ...filters,
      slaBreachSeverities: ['critical'],
    });
    expect(criticalOnly.totals).toMatchObject({ slaBreaches: { high: 1 }, alertingSlaBreaches: 0 });
  });

  it('counts open bugs of the paging severities with nobody assigned', () => {
    const bugs = [bug('acme/api', 'critical', 0, HOUR), bug('acme/api', 'critical', 0, HOUR, ['bob']), bug('acme/api', 'high', 0, HOUR)];
    expect(hourlyFigures(['acme/api'], bugs, [], now, DEFAULT_BUG_RULES, filters).totals.unassignedCritical).toBe(1);
    expect(
      hourlyFigures(['acme/api'], bugs, [], now, DEFAULT_BUG_RULES, { ...filters, unassignedSeverities: ['critical', 'high'] }).totals
        .unassignedCritical,
    ).toBe(2);
  });

  it('ignores bugs opened after "now", so a replay of an earlier hour sees that hour', () => {
    const figures = hourlyFigures(
      ['acme/api'],
      [bug('acme/api', 'critical', 900, -1000), bug('acme/api', 'critical', 100, 0)],
      [],
      now,
      DEFAULT_BUG_RULES,
      filters,
    );
    expect(figures.totals).toMatchObject({ openBugs: 1, revenueAtRisk: 100 });
  });
});
