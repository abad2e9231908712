import { engineStores, jobTimeoutMs } from '../../shared/dependencies.ts';
import { sweepStuckRuns } from '../../shared/engine/sweep-stuck-runs.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const stores = engineStores();
const metrics = jobMetrics();
const timeoutMs = jobTimeoutMs();

/**
 * "Sweep Stuck Runs" (hourly): times out runs still open past their budget, by the wall clock, and
 * publishes their jobs' failure streaks.
 */
export const handler = workStepHandler(() => sweepStuckRuns(stores, { now: new Date(), timeoutMs, metrics }));
