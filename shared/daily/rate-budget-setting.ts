/**
 * How the daily job's Sync Project learns its GitHub budget settings: the construct computes them from the
 * configuration (github.rateLimitReserve, github.pacing) and the Map's concurrency, and sets them as JSON in
 * this variable; shared/dependencies.ts reads them back through the same schema.
 */
import * as z from 'zod';

/** The environment variable holding the sync's {@link RateBudgetSettingSchema} as JSON. */
export const GITHUB_RATE_BUDGET_ENV = 'GITHUB_RATE_BUDGET';

/** RateBudgetSettings (shared/github/rate-budget.ts) as the variable carries them. */
export const RateBudgetSettingSchema = z
  .object({
    reservePercent: z.number().int().min(0).max(50),
    pacingIntervalMs: z.number().int().min(0),
  })
  .strict();
