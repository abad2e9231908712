import { describe, expect, it } from 'vitest';
import { addBudgetUses, type BudgetUse, describeBudgetUses, SyncTotalsSchema, ZERO_TOTALS } from '../../../shared/domain/sync-totals.ts';

const RESET = '2026-12-01T11:00:00.000Z';
const LATER_RESET = '2026-12-01T12:00:00.000Z';

describe('budget uses in sync totals', () => {
  it("sums a run's points per key and keeps each budget's latest reading, for the summary line", () => {
    const projects: Record<string, BudgetUse>[] = [
      { 'installation:123': { points: 4000, limit: 12_500, remaining: 8500, resetAt: RESET } },
      {
        'installation:123': { points: 200, limit: 12_500, remaining: 8300, resetAt: RESET },
        token: { points: 1, limit: 5000, remaining: 4999, resetAt: RESET },
      },
      { 'installation:123': { points: 10, limit: 12_500, remaining: 12_490, resetAt: LATER_RESET } },
    ];

    const run = addBudgetUses(...projects, undefined);

    expect(run).toEqual({
      'installation:123': { points: 4210, limit: 12_500, remaining: 12_490, resetAt: LATER_RESET },
      token: { points: 1, limit: 5000, remaining: 4999, resetAt: RESET },
    });
    expect(describeBudgetUses(run)).toEqual([
      `installation:123 used 4,210 of 12,500 (12,490 left until ${LATER_RESET})`,
      `token used 1 of 5,000 (4,999 left until ${RESET})`,
    ]);
  });

  it('carries the budgets from chunk to chunk through the input schema, and older totals without them', () => {
    const totals = { ...ZERO_TOTALS, budgets: { token: { points: 3, limit: 5000, remaining: 500, resetAt: RESET } } };

    expect(SyncTotalsSchema.parse(totals)).toEqual(totals);
    expect(SyncTotalsSchema.parse(ZERO_TOTALS)).toEqual(ZERO_TOTALS);
  });
});
