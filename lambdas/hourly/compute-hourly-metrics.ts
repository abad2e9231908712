import {
  alertRules,
  alertsStore,
  bugRules,
  projectsStore,
  snapshotsStore,
  syncEventsStore,
  workItemsStore,
} from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { computeHourlyMetrics } from '../../shared/hourly/steps.ts';
import { jobMetrics } from '../../shared/metrics.ts';

const deps = {
  projects: projectsStore(),
  items: workItemsStore(),
  snapshots: snapshotsStore(),
  alerts: alertsStore(),
  events: syncEventsStore(),
  metrics: jobMetrics(),
  bugRules: bugRules(),
  alertRules: alertRules(),
};

/** "Compute Hourly Metrics": the hour's figures, snapshots and metrics, and which alerts to notify. */
export const handler = workStepHandler((input) => computeHourlyMetrics(deps, input));
