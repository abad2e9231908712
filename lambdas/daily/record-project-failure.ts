import { recordProjectFailure, ProjectFailureInputSchema } from '../../shared/daily/project-sync.ts';
import { parseInput } from '../../shared/engine/parse-input.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';

const events = syncEventsStoreFromEnvironment();

/** "Record Project Failure": one project failed; the run goes on with the others. */
export const handler = async (event: unknown) => recordProjectFailure({ events }, parseInput(ProjectFailureInputSchema, event));
