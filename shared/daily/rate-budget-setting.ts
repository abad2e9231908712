/**
 * How the daily job's Sync Project learns its GitHub budget settings: the construct computes them from the
 * configuration (github.rateLimitReserve, github.pacing) and the Map's concurrency, and sets them as JSON in
 * ENV.githubRateBudget; shared/dependencies.ts reads them back through the same schema.
 */
import * as z from 'zod';

/** RateBudgetSettings (shared/github/rate-budget.ts) as the variable carries them. */
export const RateBudgetSettingSchema = z
  .object({
    reservePercent: z.number().int().min(0).max(50),
    pacingIntervalMs: z.number().int().min(0),
  })
  .strict();
