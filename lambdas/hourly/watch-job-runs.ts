import { JobSchedulesSchema } from '../../shared/config.ts';
import { alertRules, alertsStore, cronMonitor, engineStores, projectsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { ENV, requireSetting } from '../../shared/environment.ts';
import { watchJobRuns } from '../../shared/hourly/watch-job-runs.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const stores = engineStores();
const deps = {
  monitor: cronMonitor(stores),
  history: stores.runs,
  schedules: requireSetting(ENV.schedules, JobSchedulesSchema),
  alerts: alertsStore(),
  projects: projectsStore(),
  events: stores.events,
  metrics: jobMetrics(),
  cooldownHours: alertRules().cooldownHours,
};

/**
 * "Watch Job Runs": failure streaks and rates, success rates, long, anomalous, stuck, missed, too frequent and skipped runs of the
 * jobs themselves, and projects failing to sync, as alerts.
 */
export const handler = workStepHandler((input) => watchJobRuns(deps, input));
