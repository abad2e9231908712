import { cronMonitor, engineStores, projectsStore, reportDelivery, snapshotsStore, workItemsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { sendWeeklyReport } from '../../shared/weekly/weekly-report.ts';

const stores = engineStores();
const deps = {
  ...stores,
  projects: projectsStore(),
  snapshots: snapshotsStore(),
  items: workItemsStore(),
  // The success rates the watchdog judges, as of the week's end.
  monitor: cronMonitor(stores),
  ...reportDelivery(),
};

/** "Send Weekly Report": the CTO report, built, rendered and emailed once per week. */
export const handler = workStepHandler((input) => sendWeeklyReport(deps, input));
