import { engineStores, projectsStore, reportDelivery, snapshotsStore, workItemsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { sendWeeklyReport } from '../../shared/weekly/weekly-report.ts';

const deps = { ...engineStores(), projects: projectsStore(), snapshots: snapshotsStore(), items: workItemsStore(), ...reportDelivery() };

/** "Send Weekly Report": the CTO report, built, rendered and emailed once per week. */
export const handler = workStepHandler((input) => sendWeeklyReport(deps, input));
