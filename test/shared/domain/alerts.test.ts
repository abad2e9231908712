import { describe, expect, it } from 'vitest';
import {
  type AlertState,
  BUG_ALERT_RULES,
  DEFAULT_ALERT_RULES,
  type FiringAlert,
  firingAlerts,
  planAlerts,
  revenueBandFloor,
  revenueBandOf,
  sourceOfRule,
} from '../../../shared/domain/alerts.ts';
import { DEFAULT_BUG_RULES, type Severity } from '../../../shared/domain/bugs.ts';
import { hourlyFigures, type OpenBug } from '../../../shared/domain/hourly-metrics.ts';

const HOUR = 3_600_000;
const t0 = new Date('2026-11-28T12:00:00Z');
const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);

function bug(number: number, severity: Severity, openedHoursAgo: number, assignees: string[] = [], revenueImpact = 1000): OpenBug {
  return {
    projectId: 'acme/api',
    number,
    title: `bug ${number}`,
    htmlUrl: `https://github.com/acme/api/issues/${number}`,
    severity,
    revenueImpact,
    assignees,
    createdAt: at(-openedHoursAgo).toISOString(),
  };
}
function fire(bugs: OpenBug[], now = t0, rules = DEFAULT_ALERT_RULES) {
  const figures = hourlyFigures(['acme/api'], bugs, [], now, DEFAULT_BUG_RULES, rules);
  return firingAlerts(bugs, figures, now, DEFAULT_BUG_RULES, rules);
}

describe('firingAlerts', () => {
  it('fires for an unassigned critical bug and for critical and high bugs past their SLA, each with a stable identity', () => {
    const alerts = fire([
      bug(1, 'critical', 1),
      bug(2, 'critical', 25, ['ann']),
      bug(3, 'high', 73, ['ann']),
      bug(4, 'medium', 500, ['ann']),
      bug(5, 'critical', 30),
    ]);
    expect(alerts.map((alert) => alert.alertId)).toEqual([
      'unassigned_critical#acme/api#1',
      'sla_breach#acme/api#2',
      'sla_breach#acme/api#3',
      'unassigned_critical#acme/api#5',
      'sla_breach#acme/api#5',
    ]);
  });

  it('fires for revenue at risk strictly above the threshold, in bands of 1, 2, 5, 10 × the threshold', () => {
    expect(fire([bug(1, 'low', 1, ['a'], 10_000)])).toEqual([]);
    const [alert] = fire([bug(1, 'low', 1, ['a'], 10_000.01)]);
    expect(alert).toMatchObject({
      alertId: 'revenue_at_risk#all',
      value: 10_000.01,
      level: 0,
      title: 'Revenue at risk above $10,000/day',
    });
    expect([0, 1, 2, 3, 4].map((level) => revenueBandFloor(10_000, level))).toEqual([10_000, 20_000, 50_000, 100_000, 200_000]);
    expect([10_000, 20_000, 20_001, 60_000, 150_000].map((value) => revenueBandOf(value, 10_000))).toEqual([-1, 0, 1, 2, 3]);
  });

  it('follows the configured threshold and severity filters', () => {
    const rules = {
      ...DEFAULT_ALERT_RULES,
      revenueAtRiskThreshold: 500,
      slaBreachSeverities: ['critical'] as Severity[],
      unassignedSeverities: ['high'] as Severity[],
    };
    const alerts = fire([bug(1, 'high', 100), bug(2, 'critical', 1, ['ann'])], t0, rules);
    expect(alerts.map((alert) => alert.alertId)).toEqual(['unassigned_critical#acme/api#1', 'revenue_at_risk#all']);
  });
});

describe('planAlerts', () => {
  const alert: FiringAlert = {
    alertId: 'sla_breach#acme/api#7',
    rule: 'sla_breach',
    projectId: 'acme/api',
    number: 7,
    title: 'Checkout fails',
    severity: 'high',
    value: 500,
    level: 2,
  };
  const plan = (firing: FiringAlert[], open: AlertState[], hours: number) => planAlerts(firing, open, at(hours), 24);
  const stateAfter = (result: ReturnType<typeof plan>) => result.writes.filter((state) => state.status !== 'closed');

  it('notifies when an alert first fires, stays quiet within the cooldown, and reminds once it has passed', () => {
    const first = plan([alert], [], 0);
    expect(first.notices.map((notice) => notice.kind)).toEqual(['fired']);
    expect(first.writes[0]).toMatchObject({
      status: 'open',
      firstSeenAt: t0.toISOString(),
      lastNotifiedAt: t0.toISOString(),
      notifiedLevel: 2,
    });
    const open = stateAfter(first);

    const anHourLater = plan([alert], open, 1);
    expect(anHourLater).toEqual({ notices: [], writes: [] });
    expect(plan([alert], open, 23.99).notices).toEqual([]);

    const afterCooldown = plan([alert], open, 24);
    expect(afterCooldown.notices.map((notice) => notice.kind)).toEqual(['reminder']);
    expect(afterCooldown.writes[0]).toMatchObject({ firstSeenAt: t0.toISOString(), lastNotifiedAt: at(24).toISOString() });
  });

  it('notifies at once when the alert gets worse, and not again for the same level', () => {
    const open = stateAfter(plan([alert], [], 0));
    const worse = plan([{ ...alert, severity: 'critical', level: 3 }], open, 2);
    expect(worse.notices.map((notice) => notice.kind)).toEqual(['worse']);
    expect(plan([{ ...alert, severity: 'critical', level: 3 }], stateAfter(worse), 3).notices).toEqual([]);
  });

  it('stores a changed value without notifying', () => {
    const open = stateAfter(plan([alert], [], 0));
    const changed = plan([{ ...alert, value: 900 }], open, 1);
    expect(changed.notices).toEqual([]);
    expect(changed.writes).toEqual([expect.objectContaining({ value: 900, lastNotifiedAt: t0.toISOString() })]);
  });

  it('notifies once when the alert resolves; a recurrence within the cooldown reopens quietly, a later one fires anew', () => {
    const open = stateAfter(plan([alert], [], 0));
    const resolved = plan([], open, 5);
    expect(resolved.notices.map((notice) => notice.kind)).toEqual(['resolved']);
    expect(resolved.writes[0]).toMatchObject({ status: 'resolved', resolvedAt: at(5).toISOString() });
    const watched = resolved.writes;
    expect(plan([], watched, 6)).toEqual({ notices: [], writes: [] });

    // Flapping: back at hour 7, gone at 8, back at 9: no page, until the cooldown since the last one passes.
    const reopened = plan([alert], watched, 7);
    expect(reopened.notices).toEqual([]);
    expect(reopened.writes[0]).toMatchObject({ status: 'open', firstSeenAt: t0.toISOString(), lastNotifiedAt: at(5).toISOString() });
    expect(reopened.writes[0]).not.toHaveProperty('resolvedAt');
    expect(plan([alert], reopened.writes, 28.99).notices).toEqual([]);
    expect(plan([alert], reopened.writes, 29).notices.map((notice) => notice.kind)).toEqual(['reminder']);

    // Resolved for a whole cooldown: closed (leaves the tracked index); a recurrence after that fires anew.
    const closed = plan([], watched, 29);
    expect(closed).toEqual({ notices: [], writes: [expect.objectContaining({ status: 'closed' })] });
    expect(plan([alert], [], 30).notices[0]).toMatchObject({ kind: 'fired', alert: { firstSeenAt: at(30).toISOString() } });
  });

  it('puts the most urgent notices first: new, worse, reminders, then resolutions', () => {
    const critical = { ...alert, alertId: 'sla_breach#acme/api#8', number: 8, level: 3 };
    const stale = stateAfter(plan([{ ...alert, alertId: 'old' }], [], -30));
    const result = plan([alert, critical], [...stale, ...stateAfter(plan([{ ...alert, alertId: 'gone' }], [], -1))], 0);
    expect(result.notices.map((notice) => [notice.kind, notice.alert.alertId])).toEqual([
      ['fired', 'sla_breach#acme/api#8'],
      ['fired', 'sla_breach#acme/api#7'],
      ['resolved', 'gone'],
      ['resolved', 'old'],
    ]);
  });
});

describe('sourceOfRule', () => {
  it("tracks the watchdog's rules, the new run rules included, apart from the bug rules, so neither step resolves the other's", () => {
    for (const rule of ['failure_rate', 'low_success_rate', 'runtime_anomaly', 'ran_too_often', 'skipped_runs', 'missed_run'] as const) {
      expect(sourceOfRule(rule)).toBe('jobs');
    }
    expect(BUG_ALERT_RULES.map(sourceOfRule)).toEqual(['bugs', 'bugs', 'bugs']);
  });
});
