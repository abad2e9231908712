import type { Context } from 'aws-lambda';
import {
  bugRulesFromEnvironment,
  gitHubFromEnvironment,
  projectsStoreFromEnvironment,
  workItemsStoreFromEnvironment,
} from '../../shared/daily/dependencies.ts';
import { syncProjectStep, SyncProjectInputSchema } from '../../shared/daily/steps.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const deps = {
  github: gitHubFromEnvironment(),
  projects: projectsStoreFromEnvironment(),
  items: workItemsStoreFromEnvironment(),
  events: syncEventsStoreFromEnvironment(),
  rules: bugRulesFromEnvironment(),
  metrics: jobMetrics(),
};
/** Pages per invocation: 50 x 100 items keeps a chunk well inside the function's timeout. */
const MAX_PAGES = 50;
/** Time kept back from the function's timeout to save progress and answer. */
const SAFETY_MS = 30_000;

/** "Sync Project": the next chunk of one project's incremental sync. */
export const handler = async (event: unknown, context: Context) =>
  syncProjectStep(deps, parseInput(SyncProjectInputSchema, event), {
    maxPages: MAX_PAGES,
    stopAtMs: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS,
  });
