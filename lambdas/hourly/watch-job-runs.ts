import { projectsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { alertRulesFromEnvironment, alertsStoreFromEnvironment } from '../../shared/hourly/dependencies.ts';
import { watchJobRuns } from '../../shared/hourly/watch-job-runs.ts';
import { jobMetrics } from '../../shared/metrics.ts';
import { cronMonitorFromEnvironment } from '../../shared/monitoring/dependencies.ts';

const stores = engineStoresFromEnvironment();
const deps = {
  monitor: cronMonitorFromEnvironment(stores),
  alerts: alertsStoreFromEnvironment(),
  projects: projectsStoreFromEnvironment(),
  events: stores.events,
  metrics: jobMetrics(),
  cooldownHours: alertRulesFromEnvironment().cooldownHours,
};

/** "Watch Job Runs": failure streaks, long, stuck and missed runs of the jobs themselves, and projects failing to sync, as alerts. */
export const handler = workStepHandler((input) => watchJobRuns(deps, input));
