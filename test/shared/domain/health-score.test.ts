import { describe, expect, it } from 'vitest';
import { type HealthInputs, healthScore } from '../../../shared/domain/health-score.ts';

const calm: HealthInputs = {
  openCritical: 0,
  openHigh: 0,
  slaBreaches: 0,
  unassignedCritical: 0,
  revenueAtRisk: 0,
  bugsOpened7d: 3,
  bugsClosed7d: 5,
  stalePullRequests: 0,
};

describe('healthScore (health-v1)', () => {
  it('scores a project with nothing wrong 100', () => {
    expect(healthScore(calm)).toMatchObject({ score: 100, formulaVersion: 'health-v1' });
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
    const result = healthScore(inputs);
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
    expect(healthScore({ ...inputs, unassignedCritical: 1 }).score).toBe(59);
    expect(result.inputs).toEqual(inputs);
  });

  it('caps each penalty and never goes below 0', () => {
    const result = healthScore({
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
