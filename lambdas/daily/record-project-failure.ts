import { projectsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { recordProjectFailure, ProjectFailureInputSchema } from '../../shared/daily/steps.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';

const deps = { events: syncEventsStoreFromEnvironment(), projects: projectsStoreFromEnvironment() };

/** "Record Project Failure": one project failed (its streak grows); the run goes on with the others. */
export const handler = async (event: unknown) => recordProjectFailure(deps, parseInput(ProjectFailureInputSchema, event));
