import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { archiveLimitsFromEnvironment } from '../../shared/weekly/dependencies.ts';
import { archiveRecords } from '../../shared/weekly/archive-records.ts';

const deps = { ...engineStoresFromEnvironment(), limits: archiveLimitsFromEnvironment() };

/** "Archive Records": the newest sync events and job records kept, older ones and old import logs removed. */
export const handler = workStepHandler((input) => archiveRecords(deps, input));
