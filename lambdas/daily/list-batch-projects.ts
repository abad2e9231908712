import { BatchProjectsInputSchema, listBatchProjects } from '../../shared/daily/steps.ts';
import { engineStores, projectsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const { runs, events } = engineStores();
const deps = { projects: projectsStore(), runs, events };

/** "List Batch Projects": a child execution's projects, the active ones in its ranges of project ids. */
export const handler = lambdaHandler(async (event: unknown) =>
  listBatchProjects(deps, parseInput(BatchProjectsInputSchema, event), new Date()),
);
