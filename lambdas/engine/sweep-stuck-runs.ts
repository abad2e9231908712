import { ENV, requirePositiveInt } from '../../shared/environment.ts';
import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';
import { sweepStuckRuns } from '../../shared/engine/sweep-stuck-runs.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const stores = engineStoresFromEnvironment();
const metrics = jobMetrics();
const timeoutMs = requirePositiveInt(ENV.jobTimeoutSeconds) * 1000;

/** "Sweep Stuck Runs" (hourly): times out runs still open past their budget, by the wall clock, and publishes their jobs' failure streaks. */
export const handler = workStepHandler(() => sweepStuckRuns(stores, { now: new Date(), timeoutMs, metrics }));
