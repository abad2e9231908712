import type { Metrics } from '@aws-lambda-powertools/metrics';
import { durationMs, type JobRun, type JobType, OPEN_STATUSES, type StepResult } from '../domain/job-run.ts';
import { publishRunOutcome } from './run-metrics.ts';
import type { EngineStores } from './stores.ts';

/**
 * Marks runs still pending or running after their budget as timed out, frees their locks and publishes
 * the failure streak of each job type it closed a run of. Backs up the reconciler, whose EventBridge
 * events are best effort: without this, a run whose event was lost would never reach its `Failing` alarm.
 * @param now the wall clock (not a replayed scheduled time): being stuck is about real elapsed time.
 */
export async function sweepStuckRuns(
  { runs, events }: EngineStores,
  options: { readonly now: Date; readonly timeoutMs: number; readonly metrics: Metrics },
): Promise<Omit<StepResult, 'attempt'>> {
  const now = options.now.toISOString();
  const deadline = new Date(options.now.getTime() - options.timeoutMs).toISOString();
  const closedByJobType = new Map<JobType, JobRun[]>();
  let swept = 0;
  for (const status of OPEN_STATUSES) {
    // The index is ordered by scheduled time; a late delivery starts after its slot, so check the start too.
    for (const run of await runs.listByStatus(status, deadline)) {
      const started = run.startedAt ?? run.createdAt;
      if (started >= deadline) continue;
      const elapsed = durationMs(started, now);
      const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
      const message = `still ${status} ${minutes(elapsed)} after it started (budget ${minutes(options.timeoutMs)})`;
      const ending = { status: 'timeout', finishedAt: now, durationMs: elapsed, errorName: 'RunTimedOut', errorMessage: message } as const;
      if (!(await runs.endOpenRun(run, ending))) continue;
      swept++;
      closedByJobType.set(run.jobType, [...(closedByJobType.get(run.jobType) ?? []), { ...run, ...ending }]);
      await runs.releaseLock(run.jobType, run.runId);
      await events.append({ runId: run.runId, timestamp: now, eventType: 'job', level: 'error', message: `stuck-run sweep: ${message}` });
    }
  }
  // Once per job type, after every close: the streak counts all the runs this sweep timed out.
  for (const [jobType, closed] of closedByJobType)
    await publishRunOutcome(runs, options.metrics, jobType, { recordsProcessed: 0, closed });
  return { recordsProcessed: swept, recordsFailed: 0, summary: `${swept} stuck run(s) marked timed out` };
}
