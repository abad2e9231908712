import type { JobType } from '../domain/job-run.ts';
import type { JobSchedule, MonitoringThresholds } from '../domain/monitoring.ts';
import { ENV, requireJson, requirePositiveInt } from '../environment.ts';
import type { EngineStores } from '../engine/stores.ts';
import { CronMonitor } from './cron-monitor.ts';

/** The cron monitor over the engine's tables, with the schedules and budget the stack was built with. */
export function cronMonitorFromEnvironment(stores: EngineStores): CronMonitor {
  return new CronMonitor(stores, {
    schedules: requireJson(ENV.schedules) as Record<JobType, JobSchedule>,
    thresholds: requireJson(ENV.monitoringThresholds) as MonitoringThresholds,
    budgetMinutes: requirePositiveInt(ENV.jobTimeoutSeconds) / 60,
  });
}
