import { computeProjectMetrics, ProjectInputSchema } from '../../shared/daily/steps.ts';
import { bugRules, projectsStore, snapshotsStore, syncEventsStore, workItemsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = {
  projects: projectsStore(),
  items: workItemsStore(),
  snapshots: snapshotsStore(),
  events: syncEventsStore(),
  rules: bugRules(),
};

/** "Compute Project Metrics": the project's daily snapshot and health score, and a warning for capped revenue labels. */
export const handler = lambdaHandler(async (event: unknown) => computeProjectMetrics(deps, parseInput(ProjectInputSchema, event)));
