import { SyncSummaryInputSchema, summarizeSync } from '../../shared/daily/steps.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const metrics = jobMetrics();

/** "Summarize Sync": the projects' outcomes as the run's step result; fails the run when every project failed. */
export const handler = workStepHandler(async ({ event }) => summarizeSync(parseInput(SyncSummaryInputSchema, event), metrics));
