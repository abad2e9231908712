import { gitHubFromEnvironment, projectsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { listProjectsToSync, ListProjectsInputSchema } from '../../shared/daily/steps.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { ENV, requirePositiveInt } from '../../shared/environment.ts';

const deps = { github: gitHubFromEnvironment(), projects: projectsStoreFromEnvironment() };
const runTimeoutMs = requirePositiveInt(ENV.jobTimeoutSeconds) * 1000;
const org = process.env[ENV.githubOrg];
const discovery = org ? { org, activeWithinDays: requirePositiveInt(ENV.githubActiveWithinDays) } : undefined;

/** "List Projects": checks the GitHub token, discovers the org's repositories if configured, lists the projects. */
export const handler = async (event: unknown) => listProjectsToSync(deps, parseInput(ListProjectsInputSchema, event), { runTimeoutMs, discovery });
