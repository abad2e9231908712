import { ListProjectsInputSchema, listProjectsToSync } from '../../shared/daily/steps.ts';
import { alertsStore, gitHub, jobTimeoutMs, orgDiscovery, projectsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = { github: gitHub(), projects: projectsStore(), alerts: alertsStore() };
const options = { runTimeoutMs: jobTimeoutMs(), discovery: orgDiscovery() };

/** "List Projects": claims the run's time (or finds it a replay), checks the GitHub token, discovers the org's repositories if configured, lists the projects. */
export const handler = lambdaHandler(async (event: unknown) =>
  listProjectsToSync(deps, parseInput(ListProjectsInputSchema, event), options),
);
