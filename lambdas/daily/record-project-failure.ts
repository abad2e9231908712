import { ProjectFailureInputSchema, recordProjectFailure } from '../../shared/daily/steps.ts';
import { projectsStore, syncEventsStore } from '../../shared/dependencies.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { lambdaHandler } from '../../shared/handler.ts';

const deps = { events: syncEventsStore(), projects: projectsStore() };

/** "Record Project Failure": one project failed (its streak grows); the run goes on with the others. */
export const handler = lambdaHandler(async (event: unknown) => recordProjectFailure(deps, parseInput(ProjectFailureInputSchema, event)));
