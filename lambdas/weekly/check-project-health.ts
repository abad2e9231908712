import { projectsStoreFromEnvironment, snapshotsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { healthThresholdsFromEnvironment } from '../../shared/weekly/dependencies.ts';
import { checkProjectHealth } from '../../shared/weekly/check-health.ts';

const deps = {
  projects: projectsStoreFromEnvironment(),
  snapshots: snapshotsStoreFromEnvironment(),
  events: syncEventsStoreFromEnvironment(),
  thresholds: healthThresholdsFromEnvironment(),
};

/** "Check Project Health": every project healthy, warning or critical, and each change recorded. */
export const handler = workStepHandler((input) => checkProjectHealth(deps, input));
