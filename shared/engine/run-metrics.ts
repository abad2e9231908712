import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { JobRun, JobType } from '../domain/job-run.ts';
import { consecutiveFailuresOf } from '../domain/monitoring.ts';
import { publishRunMetrics } from '../metrics.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';

/** Runs looked at for a failure streak: more than any alarm threshold needs. */
const STREAK_WINDOW = 20;

/**
 * After a run ended: publishes its job type's failure streak (for the alarm) and its records processed.
 * @param closed the runs the caller just ended, with their new status. The recent runs are read from an
 * index, which DynamoDB updates eventually: right after the write it may still list a closed run as
 * running (which a streak skips) or not at all, so the caller's own copy replaces the listed one.
 */
export async function publishRunOutcome(
  runs: JobHistoryStore,
  metrics: Metrics,
  jobType: JobType,
  outcome: { readonly recordsProcessed: number; readonly closed: readonly JobRun[] },
): Promise<number> {
  const listed = await runs.listRecent({ jobType, limit: STREAK_WINDOW });
  const byRunId = new Map(listed.map((run) => [run.runId, run]));
  for (const run of outcome.closed) byRunId.set(run.runId, run);
  const consecutiveFailures = consecutiveFailuresOf([...byRunId.values()]);
  publishRunMetrics(metrics, jobType, { consecutiveFailures, recordsProcessed: outcome.recordsProcessed });
  return consecutiveFailures;
}
