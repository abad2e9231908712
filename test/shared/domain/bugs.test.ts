import { describe, expect, it } from 'vitest';
import {
  cappedRevenueLabelOf,
  isBug,
  isSlaBreached,
  revenueImpactOf,
  DEFAULT_BUG_RULES as rules,
  severityOf,
} from '../../../shared/domain/bugs.ts';

const projectDefaults = { critical: 5000, high: 1000, medium: 200, low: 50 };

describe('isBug', () => {
  it('recognises the default bug labels in any case', () => {
    expect(isBug(['Bug'], rules)).toBe(true);
    expect(isBug(['Type: Bug', 'ui'], rules)).toBe(true);
    expect(isBug(['kind/bug'], rules)).toBe(true);
    expect(isBug(['DEFECT'], rules)).toBe(true);
    expect(isBug(['enhancement', 'bugfix'], rules)).toBe(false);
    expect(isBug([], rules)).toBe(false);
  });
});

describe('severityOf', () => {
  it.each([
    [['P0'], 'critical'],
    [['sev2'], 'high'],
    [['Severity: Critical'], 'critical'],
    [['p3', 'sev1'], 'critical'],
    [['low'], 'low'],
    [['bug'], 'medium'],
  ])('maps %j to %s', (labels, severity) => {
    expect(severityOf(labels, rules)).toBe(severity);
  });
});

describe('revenueImpactOf', () => {
  it('reads the amount from a revenue label, with thousands separators, dollars and k', () => {
    expect(revenueImpactOf(['revenue:2500'], 'high', rules, projectDefaults)).toBe(2500);
    expect(revenueImpactOf(['Revenue: $12,000'], 'high', rules, projectDefaults)).toBe(12000);
    expect(revenueImpactOf(['revenue:1.5k'], 'low', rules, projectDefaults)).toBe(1500);
  });

  it("falls back to the project's default for the severity", () => {
    expect(revenueImpactOf(['bug', 'revenue:lots'], 'critical', rules, projectDefaults)).toBe(5000);
    expect(revenueImpactOf([], 'low', rules, projectDefaults)).toBe(50);
  });
});

describe('revenue cap', () => {
  const huge = `revenue:${'9'.repeat(42)}k`;

  it('counts a revenue label for at most the cap, however large (or too long to represent) its number', () => {
    expect(revenueImpactOf([huge], 'low', rules, projectDefaults)).toBe(1_000_000);
    expect(revenueImpactOf([`revenue:${'9'.repeat(400)}`], 'low', rules, projectDefaults)).toBe(1_000_000);
    expect(revenueImpactOf(['revenue:1000k'], 'low', rules, projectDefaults)).toBe(1_000_000);
    expect(revenueImpactOf(['revenue:2500'], 'low', { ...rules, maxRevenuePerBug: 2000 }, projectDefaults)).toBe(2000);
  });

  it('names the label it capped, with what it asked for and what it counts for', () => {
    const capped = cappedRevenueLabelOf(['bug', huge], rules);

    expect(capped).toMatchObject({ label: huge, countedPerDay: 1_000_000 });
    expect(capped!.askedPerDay / 1e45).toBeCloseTo(1);
    expect(cappedRevenueLabelOf(['revenue:1,000,001'], rules)).toMatchObject({ askedPerDay: 1_000_001 });
  });

  it('names no label at or under the cap, nor for a bug without one', () => {
    expect(cappedRevenueLabelOf(['revenue:1000k'], rules)).toBeUndefined();
    expect(cappedRevenueLabelOf(['bug', 'revenue:lots'], rules)).toBeUndefined();
  });
});

describe('isSlaBreached', () => {
  const opened = '2026-11-27T00:00:00Z';
  it('is not breached at exactly the SLA, and breached one second past it', () => {
    expect(isSlaBreached(opened, 'critical', new Date('2026-11-28T00:00:00Z'), rules)).toBe(false);
    expect(isSlaBreached(opened, 'critical', new Date('2026-11-28T00:00:01Z'), rules)).toBe(true);
    expect(isSlaBreached(opened, 'high', new Date('2026-11-28T00:00:01Z'), rules)).toBe(false);
  });
});
