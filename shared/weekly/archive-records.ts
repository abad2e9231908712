/** "Archive Records" (weekly): the newest sync events and job records kept, older ones removed. */
import { OPEN_STATUSES, type StepResult } from '../domain/job-run.ts';
import { retentionCutoff } from '../domain/sync-event.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';

export interface ArchiveDependencies {
  readonly runs: JobHistoryStore;
  readonly events: SyncEventsStore;
  readonly limits: {
    readonly keepSyncEvents: number;
    readonly keepJobRecords: number;
    /** Each job type's newest ended runs kept besides the newest overall: the success rate's `successRateMinRuns`. */
    readonly keepEndedRunsPerJob: number;
    readonly importLogDays: number;
  };
}

/**
 * Keeps the newest sync events and job records (and each job's newest ended runs, which its success rate covers)
 * and deletes the older ones, and removes import logs (the
 * per-chunk `github_sync` events) older than their retention. Runs still pending or running, this one
 * included, keep their records and their events.
 */
export async function archiveRecords(
  deps: ArchiveDependencies,
  run: { readonly runId: string; readonly now: Date },
): Promise<Omit<StepResult, 'attempt'>> {
  const open = await Promise.all(OPEN_STATUSES.map((status) => deps.runs.listByStatus(status, '\uffff')));
  const protectedRunIds = new Set([run.runId, ...open.flat().map((openRun) => openRun.runId)]);
  const importLogs = await deps.events.deleteOlderThan(retentionCutoff(run.now, deps.limits.importLogDays), {
    eventType: 'github_sync',
    protectedRunIds,
  });
  const events = await deps.events.deleteBeyondNewest(deps.limits.keepSyncEvents, protectedRunIds);
  const runs = await deps.runs.deleteBeyondNewest(deps.limits.keepJobRecords, deps.limits.keepEndedRunsPerJob);
  const summary =
    `removed ${importLogs} import logs older than ${deps.limits.importLogDays} days, ` +
    `${events} sync events beyond the newest ${deps.limits.keepSyncEvents.toLocaleString('en-US')}, ` +
    `${runs} job records beyond the newest ${deps.limits.keepJobRecords.toLocaleString('en-US')} ` +
    `and each job's newest ${deps.limits.keepEndedRunsPerJob} ended runs`;
  await deps.events.append({
    runId: run.runId,
    timestamp: run.now.toISOString(),
    eventType: 'archive',
    level: 'info',
    message: summary,
    recordsProcessed: importLogs + events + runs,
  });
  return { recordsProcessed: importLogs + events + runs, recordsFailed: 0, summary };
}
