import { describe, expect, it } from 'vitest';
import { fitLinear, monthlyUsage, PRICES, priceUsage, RUNS_PER_MONTH, totalUsd, usageAt } from './cost-model.ts';

describe('cost model', () => {
  it('fits fixed + per project through two counted runs and scales it', () => {
    const line = fitLinear({ projects: 5, usage: { stateTransitions: 33 } }, { projects: 25, usage: { stateTransitions: 133 } });

    expect(line).toEqual({ fixed: { stateTransitions: 8 }, perProject: { stateTransitions: 5 } });
    expect(usageAt(line, 10_000).stateTransitions).toBe(50_008);
  });

  it('counts no negative slope when the larger sample counted less', () => {
    const line = fitLinear({ projects: 5, usage: { lambdaArmGbSeconds: 0.5 } }, { projects: 25, usage: { lambdaArmGbSeconds: 0.4 } });

    expect(line.perProject.lambdaArmGbSeconds).toBe(0);
    expect(line.fixed.lambdaArmGbSeconds).toBe(0.4);
  });

  it('makes a month of 30 daily, 720 hourly (30 after the daily sync) and 365/12/7 weekly runs, and the standing items once', () => {
    const run = { fixed: { lambdaRequests: 1 }, perProject: { lambdaRequests: 2 } };

    const month = monthlyUsage({ daily: run, hourlyAfterSync: run, hourly: run, weekly: run }, 10, { kmsKeyMonths: 1 });

    expect(month.lambdaRequests).toBeCloseTo(21 * (30 + 720 + 365 / 12 / 7), 9);
    expect(RUNS_PER_MONTH.hourlyAfterSync + RUNS_PER_MONTH.hourly).toBe(720);
    expect(month.kmsKeyMonths).toBe(1);
    expect(RUNS_PER_MONTH.weekly).toBeCloseTo(4.345, 3);
  });

  it('charges custom metrics beyond the 10 free at $0.30 each, even at list price', () => {
    const lines = priceUsage({ customMetrics: 16 }, { freeTier: false });

    expect(lines.find((line) => line.item === 'customMetrics')?.usd).toBeCloseTo(1.8, 9);
    expect(totalUsd(lines)).toBeCloseTo(1.8, 9);
  });

  it('prices state transitions per 1,000, and waives the first 4,000 only with the free tier', () => {
    const usage = { stateTransitions: 1_506_000 };

    expect(totalUsd(priceUsage(usage, { freeTier: false }))).toBeCloseTo(37.65, 9);
    expect(totalUsd(priceUsage(usage, { freeTier: true }))).toBeCloseTo(37.55, 9);
  });

  it('prices arm64 GB-seconds and on-demand write units as published', () => {
    const lines = priceUsage({ lambdaArmGbSeconds: 100_000, dynamoWriteUnits: 2_000_000 }, { freeTier: false });

    expect(totalUsd(lines)).toBeCloseTo(100_000 * 0.0000133334 + 2 * 0.625, 9);
    expect(Object.values(PRICES).every((p) => p.source.startsWith('https://aws.amazon.com/'))).toBe(true);
  });
});
