import { archiveLimits, engineStores } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { archiveRecords } from '../../shared/weekly/archive-records.ts';

const deps = { ...engineStores(), limits: archiveLimits() };

/** "Archive Records": the newest sync events and job records kept, older ones and old import logs removed. */
export const handler = workStepHandler((input) => archiveRecords(deps, input));
