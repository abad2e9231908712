import { explainFailedBatches, FailedBatchesInputSchema } from '../../shared/daily/steps.ts';
import { projectsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = { projects: projectsStore() };

/** "Explain Failed Batches": fails the run with a token a project found unusable, else with the Map Run's error. */
export const handler = lambdaHandler(async (event: unknown) => explainFailedBatches(deps, parseInput(FailedBatchesInputSchema, event)));
