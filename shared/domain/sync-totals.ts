import * as z from 'zod';

/** What a sync spent of one GitHub budget (a token, or an App installation) and what was left at its last answer. */
export interface BudgetUse {
  /** Primary rate-limit points spent (a 304 costs none). */
  readonly points: number;
  readonly limit: number;
  readonly remaining: number;
  /** When the budget's window resets (ISO 8601). */
  readonly resetAt: string;
}

/** What one project's sync has cost and brought so far in this run (carried from chunk to chunk). */
export interface SyncTotals {
  readonly fetched: number;
  readonly written: number;
  readonly requests: number;
  readonly notModified: number;
  readonly durationMs: number;
  /** Per budget key (`token`, `installation:<id>`): what the sync spent of it; absent before any budgeted request. */
  readonly budgets?: Readonly<Record<string, BudgetUse>>;
}

/** The totals a project's sync starts from (the daily Map's item selector carries them too). */
export const ZERO_TOTALS: SyncTotals = { fetched: 0, written: 0, requests: 0, notModified: 0, durationMs: 0 };

const BudgetUseSchema = z.object({
  points: z.number().int().nonnegative(),
  limit: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  resetAt: z.iso.datetime(),
});

/** The totals as a chunk's input carries them. */
export const SyncTotalsSchema = z.object({
  fetched: z.number(),
  written: z.number(),
  requests: z.number(),
  notModified: z.number(),
  durationMs: z.number(),
  budgets: z.record(z.string().min(1), BudgetUseSchema).optional(),
});

/**
 * Two uses of one budget as one: their points added, and the later reading of what is left (a later window's,
 * or within one window the lower remaining, as the budget only shrinks until it resets).
 */
export function addBudgetUse(a: BudgetUse | undefined, b: BudgetUse): BudgetUse {
  if (!a) return b;
  const later = b.resetAt > a.resetAt || (b.resetAt === a.resetAt && b.remaining < a.remaining) ? b : a;
  return { ...later, points: a.points + b.points };
}

/** Budget uses by key, summed over chunks or projects. */
export function addBudgetUses(...uses: readonly (Readonly<Record<string, BudgetUse>> | undefined)[]): Readonly<Record<string, BudgetUse>> {
  const sum: Record<string, BudgetUse> = {};
  for (const byKey of uses) {
    for (const [key, use] of Object.entries(byKey ?? {})) sum[key] = addBudgetUse(sum[key], use);
  }
  return sum;
}

/** One line per budget for a run's summary: `installation:123 used 4,210 of 12,500 (8,290 left until 11:00:00Z)`. */
export function describeBudgetUses(uses: Readonly<Record<string, BudgetUse>>): string[] {
  return Object.entries(uses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, use]) => {
      const figure = (value: number) => value.toLocaleString('en-US');
      return `${key} used ${figure(use.points)} of ${figure(use.limit)} (${figure(use.remaining)} left until ${use.resetAt})`;
    });
}

/** Why a project's sync was deferred to the next run: a GitHub rate limit, or the run's time. */
export const DeferralCauseSchema = z.enum(['rate-limit', 'time']);
export type DeferralCause = z.infer<typeof DeferralCauseSchema>;
