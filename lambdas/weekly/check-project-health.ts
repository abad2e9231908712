import { healthThresholds, projectsStore, snapshotsStore, syncEventsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { checkProjectHealth } from '../../shared/weekly/check-health.ts';

const deps = { projects: projectsStore(), snapshots: snapshotsStore(), events: syncEventsStore(), thresholds: healthThresholds() };

/** "Check Project Health": every project healthy, warning or critical, and each change recorded. */
export const handler = workStepHandler((input) => checkProjectHealth(deps, input));
