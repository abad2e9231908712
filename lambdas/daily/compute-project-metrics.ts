import {
  bugRulesFromEnvironment,
  projectsStoreFromEnvironment,
  snapshotsStoreFromEnvironment,
  workItemsStoreFromEnvironment,
} from '../../shared/daily/dependencies.ts';
import { computeProjectMetrics, ProjectInputSchema } from '../../shared/daily/steps.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';

const deps = {
  projects: projectsStoreFromEnvironment(),
  items: workItemsStoreFromEnvironment(),
  snapshots: snapshotsStoreFromEnvironment(),
  rules: bugRulesFromEnvironment(),
};

/** "Compute Project Metrics": the project's daily snapshot and health score. */
export const handler = async (event: unknown) => computeProjectMetrics(deps, parseInput(ProjectInputSchema, event));
