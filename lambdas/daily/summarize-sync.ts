import { SyncSummaryInputSchema, summarizeRun } from '../../shared/daily/steps.ts';
import { projectsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const deps = { projects: projectsStore() };
const metrics = jobMetrics();

/**
 * "Summarize Sync": the projects' outcomes, read back from the projects, as the run's step result; fails the run when every
 * project failed, or with the AuthError or ConfigError a project found.
 */
export const handler = workStepHandler(async ({ event }) => summarizeRun(deps, parseInput(SyncSummaryInputSchema, event), metrics));
