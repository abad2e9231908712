import { gitHubFromEnvironment, projectsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { listProjectsToSync, ListProjectsInputSchema } from '../../shared/daily/project-sync.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { ENV, requirePositiveInt } from '../../shared/environment.ts';

const deps = { github: gitHubFromEnvironment(), projects: projectsStoreFromEnvironment() };
const runTimeoutMs = requirePositiveInt(ENV.jobTimeoutSeconds) * 1000;

/** "List Projects": checks the GitHub token, then lists the active projects to sync. */
export const handler = async (event: unknown) => listProjectsToSync(deps, parseInput(ListProjectsInputSchema, event), { runTimeoutMs });
