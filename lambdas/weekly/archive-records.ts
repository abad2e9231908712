import { MonitoringThresholdsSchema } from '../../shared/config.ts';
import { archiveLimits, engineStores } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { ENV, requireSetting } from '../../shared/environment.ts';
import { archiveRecords } from '../../shared/weekly/archive-records.ts';

const deps = {
  ...engineStores(),
  // Each job keeps the runs its success rate needs: the watchdog's minimum sample.
  limits: {
    ...archiveLimits(),
    keepEndedRunsPerJob: requireSetting(ENV.monitoringThresholds, MonitoringThresholdsSchema).successRateMinRuns,
  },
};

/** "Archive Records": the newest sync events and job records kept, older ones and old import logs removed. */
export const handler = workStepHandler((input) => archiveRecords(deps, input));
