import type { Context } from 'aws-lambda';
import { SyncProjectInputSchema, syncProjectStep } from '../../shared/daily/steps.ts';
import { bugRules, gitHub, projectsStore, rateBudgetsByRun, syncEventsStore, workItemsWriter } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = {
  github: gitHub(),
  projects: projectsStore(),
  items: workItemsWriter(),
  events: syncEventsStore(),
  rules: bugRules(),
  budgets: rateBudgetsByRun(),
};
/** Pages per invocation: 50 x 100 items keeps a chunk well inside the function's timeout. */
const MAX_PAGES = 50;
/** Time kept back from the function's timeout to save progress and answer. */
const SAFETY_MS = 30_000;

/** "Sync Project": the next chunk of one project's incremental sync. */
export const handler = lambdaHandler(async (event: unknown, context: Context) =>
  syncProjectStep(deps, parseInput(SyncProjectInputSchema, event), {
    maxPages: MAX_PAGES,
    stopAtMs: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS,
  }),
);
