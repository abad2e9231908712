import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { JobType } from '../domain/job-run.ts';
import { consecutiveFailuresOf } from '../domain/monitoring.ts';
import { publishRunMetrics } from '../metrics.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';

/** Runs looked at for a failure streak: more than any alarm threshold needs. */
const STREAK_WINDOW = 20;

/** After a run ended: publishes its job type's failure streak (for the alarm) and its records processed. */
export async function publishRunOutcome(runs: JobHistoryStore, metrics: Metrics, jobType: JobType, recordsProcessed: number): Promise<number> {
  const consecutiveFailures = consecutiveFailuresOf(await runs.listRecent({ jobType, limit: STREAK_WINDOW }));
  publishRunMetrics(metrics, jobType, { consecutiveFailures, recordsProcessed });
  return consecutiveFailures;
}
