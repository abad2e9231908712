import { BatchProjectsInputSchema, listBatchProjects } from '../../shared/daily/steps.ts';
import { projectsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = { projects: projectsStore() };

/** "List Batch Projects": a child execution's projects, the active ones in its ranges of project ids. */
export const handler = lambdaHandler(async (event: unknown) => listBatchProjects(deps, parseInput(BatchProjectsInputSchema, event)));
