import { ListProjectsInputSchema, listProjectsToSync } from '../../shared/daily/steps.ts';
import { alertsStore, gitHub, jobTimeoutMs, orgDiscovery, projectsStore, syncEventsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = { github: gitHub(), projects: projectsStore(), alerts: alertsStore() };
const discovery = orgDiscovery();
// Only with org discovery is the function given SyncEvents: it says there which projects it deactivated.
const options = { runTimeoutMs: jobTimeoutMs(), discovery: discovery && { ...discovery, events: syncEventsStore() } };

/**
 * "List Projects": claims the run's time (or finds it a replay), checks the GitHub token, discovers the org's repositories
 * (adding new ones, deactivating archived or deleted ones) if configured, lists the projects.
 */
export const handler = lambdaHandler(async (event: unknown) =>
  listProjectsToSync(deps, parseInput(ListProjectsInputSchema, event), options),
);
