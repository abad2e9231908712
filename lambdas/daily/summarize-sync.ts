import { summarizeSync, SyncSummaryInputSchema } from '../../shared/daily/project-sync.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';

/** "Summarize Sync": the projects' outcomes as the run's step result. */
export const handler = workStepHandler(async ({ event }) => summarizeSync(parseInput(SyncSummaryInputSchema, event)));
