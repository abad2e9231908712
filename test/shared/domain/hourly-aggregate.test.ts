import { describe, expect, it } from 'vitest';
import { firingAlerts } from '../../../shared/domain/alerts.ts';
import { DEFAULT_BUG_RULES, SEVERITIES, type Severity } from '../../../shared/domain/bugs.ts';
import {
  type AggregateRules,
  advanceAggregate,
  buildAggregate,
  changedSpans,
  type ProjectAggregate,
  rulesKeyOf,
} from '../../../shared/domain/hourly-aggregate.ts';
import { type ClosedBug, figuresOfTally, hourlyFigures, type OpenBug } from '../../../shared/domain/hourly-metrics.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PROJECT = 'acme/api';
const rules: AggregateRules = {
  slaHours: DEFAULT_BUG_RULES.slaHours,
  maxRevenuePerBug: 5_000,
  slaBreachSeverities: ['critical', 'high'],
  unassignedSeverities: ['critical'],
};
const alertRules = { ...rules, revenueAtRiskThreshold: 10_000, cooldownHours: 24 };

/** A stored bug, open or closed, as the two indexes project it. */
interface Bug {
  readonly number: number;
  readonly severity: Severity;
  readonly revenueImpact: number;
  readonly assignees: string[];
  readonly createdAt: string;
  readonly closedAt?: string;
}

const openBugOf = (bug: Bug): OpenBug => ({
  projectId: PROJECT,
  number: bug.number,
  title: `Bug ${bug.number}`,
  htmlUrl: `https://github.com/${PROJECT}/issues/${bug.number}`,
  assignees: bug.assignees,
  createdAt: bug.createdAt,
  severity: bug.severity,
  revenueImpact: bug.revenueImpact,
});
const stored = (bugs: ReadonlyMap<number, Bug>) => ({
  open: [...bugs.values()].filter((bug) => !bug.closedAt).map(openBugOf),
  closed: [...bugs.values()]
    .filter((bug) => bug.closedAt)
    .map((bug): ClosedBug => ({ projectId: PROJECT, number: bug.number, closedAt: bug.closedAt! })),
});

/** What the index queries of the changed spans return: whole seconds of slack on each side, as the store queries. */
function readSpans(aggregate: ProjectAggregate, bugs: ReadonlyMap<number, Bug>, now: Date) {
  const { open, closed } = stored(bugs);
  const inSpans = (index: string, key: string) =>
    changedSpans(aggregate, now, rules).some(
      (span) => span.index === index && Date.parse(key) > Math.floor(span.from / 1000) * 1000 - 1000 && Date.parse(key) <= span.to + 999,
    );
  return {
    openBugs: open.filter((bug) => inSpans('openBugs', bug.createdAt)),
    closures: closed.filter((closure) => inSpans('bugClosures', closure.closedAt)),
  };
}

/** A deterministic pseudo-random sequence (mulberry32), so a failing seed can be replayed. */
function randomOf(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('hourly aggregates', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equal a full recount, figures and firing alerts, after every change and hour (seed %i)', (seed) => {
    const random = randomOf(seed);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
    const bugs = new Map<number, Bug>();
    let clock = Date.parse('2026-11-01T00:00:00Z');
    let nextNumber = 1;
    const iso = (ms: number) => (random() < 0.5 ? new Date(ms).toISOString() : new Date(ms).toISOString().replace(/\.\d{3}/, ''));
    const rebuild = () => {
      const { open, closed } = stored(bugs);
      return buildAggregate(PROJECT, open, closed, new Date(clock), rules);
    };
    let aggregate = rebuild();
    let advancedWithReads = 0;
    for (let step = 0; step < 600; step++) {
      // Hours pass (sometimes days, to cross SLA deadlines and the 7- and 14-day boundaries), then the hourly run.
      clock += random() < 0.1 ? Math.floor(random() * 5 * DAY) : HOUR + Math.floor(random() * 1000);
      const now = new Date(clock);
      const changed = readSpans(aggregate, bugs, now);
      if (changed.openBugs.length + changed.closures.length > 0) advancedWithReads++;
      aggregate = changedSpans(aggregate, now, rules).length === 0 ? aggregate : advanceAggregate(aggregate, changed, now, rules);
      const { open, closed } = stored(bugs);
      const full = hourlyFigures([PROJECT], open, closed, now, rules, rules);
      expect(figuresOfTally(aggregate.tally)).toEqual((({ projectId: _id, ...figures }) => figures)(full.projects[0]!));
      const alertsOf = (openBugs: readonly OpenBug[]) =>
        firingAlerts(openBugs, full, now, rules, alertRules)
          .map((alert) => alert.alertId)
          .sort();
      expect(alertsOf(aggregate.alertingBugs)).toEqual(alertsOf(open));

      // A writer changes the project a little later and rebuilds the aggregate (WorkItemsStore's upkeep).
      clock += Math.floor(random() * 60_000);
      // Most hours change nothing, so aggregates are moved forward across many deadlines and boundaries.
      const change =
        random() < 0.6 ? 'none' : pick(['new', 'new', 'new', 'edited', 'relabelled', 'closed', 'reopened', 'transferred'] as const);
      const open_ = [...bugs.values()].filter((bug) => !bug.closedAt);
      const closed_ = [...bugs.values()].filter((bug) => bug.closedAt);
      if (change === 'new') {
        // Opened in the past (a sync catching up), or seconds into the future (GitHub's clock ahead of ours).
        const createdAt = clock - Math.floor(random() * 40 * DAY) + (random() < 0.1 ? 5_000 : 0);
        const number = nextNumber++;
        bugs.set(number, {
          number,
          severity: pick(SEVERITIES),
          revenueImpact: pick([0, 0.1, 0.2, 99.99, 2_500, 1e7]),
          assignees: random() < 0.5 ? [] : ['dev'],
          createdAt: iso(createdAt),
        });
      } else if (change === 'edited' && open_.length > 0) {
        const bug = pick(open_);
        bugs.set(bug.number, { ...bug, assignees: bug.assignees.length ? [] : ['dev'], revenueImpact: pick([0, 0.3, 1_000]) });
      } else if (change === 'relabelled' && open_.length > 0) {
        const bug = pick(open_);
        bugs.set(bug.number, { ...bug, severity: pick(SEVERITIES) });
      } else if (change === 'closed' && open_.length > 0) {
        const bug = pick(open_);
        bugs.set(bug.number, { ...bug, closedAt: iso(clock - Math.floor(random() * 3 * DAY)) });
      } else if (change === 'reopened' && closed_.length > 0) {
        const { closedAt: _closed, ...bug } = pick(closed_);
        bugs.set(bug.number, bug);
      } else if (change === 'transferred' && bugs.size > 0) {
        bugs.delete(pick([...bugs.keys()]));
      }
      if (change !== 'none') aggregate = rebuild();
    }
    // The runs did move aggregates forward from the items they read, not only from rebuilds.
    expect(advancedWithReads).toBeGreaterThan(15);
  });

  it('needs no read when no deadline, opening or window boundary falls in the hour', () => {
    const at = new Date('2026-11-28T12:00:00Z');
    const bug = { ...openBugFixture(), createdAt: '2026-11-28T11:00:00Z', severity: 'critical' as const };
    const aggregate = buildAggregate(PROJECT, [bug], [], at, rules);
    expect(changedSpans(aggregate, new Date(at.getTime() + HOUR), rules)).toEqual([]);
    // Its 24-hour deadline passes 23 hours later: the span of creation times whose deadline fell in the hour.
    const later = new Date(at.getTime() + 24 * HOUR);
    expect(changedSpans(aggregate, later, rules)).toEqual([
      { index: 'openBugs', from: at.getTime() - 24 * HOUR - 1, to: later.getTime() - 24 * HOUR - 1 },
    ]);
  });

  it('is keyed by its rules, whatever the order of the severity filters', () => {
    expect(rulesKeyOf({ ...rules, slaBreachSeverities: ['high', 'critical'] })).toBe(rulesKeyOf(rules));
    expect(rulesKeyOf({ ...rules, maxRevenuePerBug: 1 })).not.toBe(rulesKeyOf(rules));
  });
});

function openBugFixture(): OpenBug {
  return openBugOf({ number: 1, severity: 'medium', revenueImpact: 10, assignees: [], createdAt: '2026-11-01T00:00:00Z' });
}
