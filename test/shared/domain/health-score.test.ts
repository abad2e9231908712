import { describe, expect, it } from 'vitest';
import { demoRepositories } from '../../../lib/local/demo-dataset.ts';
import { type HealthInputs, type HealthInputsV1, healthScore, healthScoreV1 } from '../../../shared/domain/health-score.ts';
import { largeRepository, snapshotsOf } from '../../support/health-fixtures.ts';

const calm: HealthInputsV1 = {
  openCritical: 0,
  openHigh: 0,
  slaBreaches: 0,
  unassignedCritical: 0,
  revenueAtRisk: 0,
  bugsOpened7d: 3,
  bugsClosed7d: 5,
  stalePullRequests: 0,
};

describe('healthScoreV1 (the formula of older snapshots)', () => {
  it('scores a project with nothing wrong 100', () => {
    expect(healthScoreV1(calm)).toMatchObject({ score: 100, formulaVersion: 'health-v1' });
  });

  it('explains a score with its inputs and each penalty', () => {
    const inputs = {
      ...calm,
      openCritical: 1,
      openHigh: 2,
      slaBreaches: 1,
      revenueAtRisk: 4_999,
      bugsOpened7d: 6,
      bugsClosed7d: 5,
      stalePullRequests: 1,
    };
    const result = healthScoreV1(inputs);
    expect(result.penalties).toEqual({
      openCritical: 15,
      openHigh: 10,
      slaBreaches: 4,
      unassignedCritical: 0,
      revenueAtRisk: 4,
      backlogGrowth: 2,
      stalePullRequests: 1,
    });
    expect(result.score).toBe(64);
    expect(healthScoreV1({ ...inputs, unassignedCritical: 1 }).score).toBe(59);
    expect(result.inputs).toEqual(inputs);
  });

  it('caps each penalty and never goes below 0', () => {
    const result = healthScoreV1({
      ...calm,
      openCritical: 10,
      openHigh: 10,
      slaBreaches: 50,
      unassignedCritical: 10,
      revenueAtRisk: 1e6,
      bugsOpened7d: 40,
      bugsClosed7d: 0,
      stalePullRequests: 99,
    });
    expect(result.penalties).toEqual({
      openCritical: 45,
      openHigh: 20,
      slaBreaches: 20,
      unassignedCritical: 10,
      revenueAtRisk: 15,
      backlogGrowth: 10,
      stalePullRequests: 10,
    });
    expect(result.score).toBe(0);
  });
});

const quiet: HealthInputs = { ...calm, openBugs: 0, bugsClosed30d: 0 };
/** The demo's mobile-app as of 2026-11-30: the worked example of docs/design.md. */
const mobileApp: HealthInputs = {
  openCritical: 2,
  openHigh: 4,
  slaBreaches: 11,
  unassignedCritical: 1,
  revenueAtRisk: 19_810,
  bugsOpened7d: 4,
  bugsClosed7d: 6,
  stalePullRequests: 1,
  openBugs: 13,
  bugsClosed30d: 22,
};

describe('healthScore (health-v2)', () => {
  it('scores a project with nothing wrong 100', () => {
    expect(healthScore(quiet)).toMatchObject({ score: 100, formulaVersion: 'health-v2', scale: 1 });
  });

  it('explains a score with its inputs, its scale and each penalty (the worked example of docs/design.md)', () => {
    expect(healthScore(mobileApp)).toEqual({
      score: 47,
      formulaVersion: 'health-v2',
      inputs: mobileApp,
      scale: 1.9,
      penalties: {
        openCritical: 13.3,
        openHigh: 6.4,
        slaBreaches: 15.9,
        unassignedCritical: 4,
        revenueAtRisk: 13.1,
        backlogGrowth: 0,
        stalePullRequests: 0.3,
      },
    });
  });

  it('costs half its weight at the half point and saturates smoothly towards the weight, never past 0', () => {
    expect(healthScore({ ...quiet, openCritical: 1, openBugs: 1 }).penalties.openCritical).toBe(12.5);
    expect(healthScore({ ...quiet, revenueAtRisk: 7_500 }).penalties.revenueAtRisk).toBe(7.5);
    // Each more critical bug lowers the score, by less each time (no cliff).
    const scores = [0, 1, 2, 3].map((critical) => healthScore({ ...quiet, openCritical: critical, openBugs: 10 }).score);
    expect(scores).toEqual([100, 88, 80, 78]);
    const everything = healthScore({
      openCritical: 1e3,
      openHigh: 1e3,
      slaBreaches: 1e3,
      unassignedCritical: 1e3,
      revenueAtRisk: 1e9,
      bugsOpened7d: 1e3,
      bugsClosed7d: 0,
      stalePullRequests: 1e3,
      openBugs: 2e3,
      bugsClosed30d: 0,
    });
    expect(everything.penalties).toEqual({
      openCritical: 25,
      openHigh: 12,
      slaBreaches: 20,
      unassignedCritical: 8,
      revenueAtRisk: 15,
      backlogGrowth: 10,
      stalePullRequests: 10,
    });
    expect(everything.score).toBe(0);
  });

  it("judges counts by the project's size and activity, but not dollars nor unassigned critical bugs", () => {
    const small = healthScore({ ...quiet, openCritical: 2, unassignedCritical: 1, revenueAtRisk: 5_000, openBugs: 2 });
    const busy = healthScore({ ...quiet, openCritical: 2, unassignedCritical: 1, revenueAtRisk: 5_000, openBugs: 40, bugsClosed30d: 120 });
    expect(busy.scale).toBe(4);
    expect(busy.penalties.openCritical).toBeLessThan(small.penalties.openCritical);
    expect(busy.penalties.revenueAtRisk).toBe(small.penalties.revenueAtRisk);
    expect(busy.penalties.unassignedCritical).toBe(small.penalties.unassignedCritical);
    expect(busy.score).toBeGreaterThan(small.score);
  });

  it('spreads the demo and a 240-issue repository across the range, in the order an engineer would rank them', () => {
    const now = new Date('2026-11-30T02:00:00Z');
    const snapshots = snapshotsOf([...demoRepositories(now), largeRepository(now)], now);
    const scores = Object.fromEntries(snapshots.map((snapshot) => [snapshot.projectId.replace('acme-demo/', ''), snapshot.health.score]));
    // health-v1 scored them 64, 40, 9, 0, 17 and 9: half of them at 9 or less, none healthy.
    expect(snapshots.map((snapshot) => healthScoreV1(snapshot.health.inputs).score)).toEqual([64, 40, 9, 0, 17, 9]);
    expect(Object.keys(scores).sort((a, b) => scores[b]! - scores[a]!)).toEqual([
      'checkout-api', // 4 open bugs, 1 past its SLA: the healthiest team
      'web-storefront', // 11 open, 4 past their SLA, the backlog growing
      'marketplace', // 40 open bugs but 55 closed in 30 days; both critical bugs assigned
      'mobile-app', // 11 of 13 open bugs past their SLA, $19,810/day at risk
      'auth-service', // 18 of 21 past their SLA, $24,910/day
      'data-pipeline', // 3 critical and 7 high open, 17 past their SLA, $32,500/day
    ]);
    const values = Object.values(scores);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThanOrEqual(40);
    expect(new Set(values).size).toBe(values.length);
    expect(Math.max(...values)).toBeGreaterThanOrEqual(75);
    expect(Math.min(...values)).toBeLessThanOrEqual(35);
  });
});
