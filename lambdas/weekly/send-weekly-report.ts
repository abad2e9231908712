import {
  projectsStoreFromEnvironment,
  snapshotsStoreFromEnvironment,
  workItemsStoreFromEnvironment,
} from '../../shared/daily/dependencies.ts';
import { engineStoresFromEnvironment } from '../../shared/engine/stores.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { reportDeliveryFromEnvironment } from '../../shared/weekly/dependencies.ts';
import { sendWeeklyReport } from '../../shared/weekly/weekly-report.ts';

const deps = {
  ...engineStoresFromEnvironment(),
  projects: projectsStoreFromEnvironment(),
  snapshots: snapshotsStoreFromEnvironment(),
  items: workItemsStoreFromEnvironment(),
  ...reportDeliveryFromEnvironment(),
};

/** "Send Weekly Report": the CTO report, built, rendered and emailed once per week. */
export const handler = workStepHandler((input) => sendWeeklyReport(deps, input));
