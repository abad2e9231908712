import { bugRulesFromEnvironment, projectsStoreFromEnvironment, snapshotsStoreFromEnvironment, workItemsStoreFromEnvironment } from '../../shared/daily/dependencies.ts';
import { syncEventsStoreFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { alertRulesFromEnvironment, alertsStoreFromEnvironment } from '../../shared/hourly/dependencies.ts';
import { jobMetrics } from '../../shared/metrics.ts';
import { computeHourlyMetrics } from '../../shared/hourly/steps.ts';

const deps = {
  projects: projectsStoreFromEnvironment(),
  items: workItemsStoreFromEnvironment(),
  snapshots: snapshotsStoreFromEnvironment(),
  alerts: alertsStoreFromEnvironment(),
  events: syncEventsStoreFromEnvironment(),
  metrics: jobMetrics(),
  bugRules: bugRulesFromEnvironment(),
  alertRules: alertRulesFromEnvironment(),
};

/** "Compute Hourly Metrics": the hour's figures, snapshots and metrics, and which alerts to notify. */
export const handler = workStepHandler((input) => computeHourlyMetrics(deps, input));
