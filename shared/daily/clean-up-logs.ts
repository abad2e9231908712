import type { StepResult } from '../domain/job-run.ts';
import { retentionCutoff } from '../domain/sync-event.ts';
import type { EngineStores } from '../engine/stores.ts';

/**
 * Deletes SyncEvents older than the retention period. TTL is set on them too, but DynamoDB's TTL
 * deletes "typically within two days", so the job does not rely on it.
 */
export async function cleanUpLogs(
  { runId, events }: Pick<EngineStores, 'events'> & { readonly runId: string },
  options: { readonly now: Date; readonly retentionDays: number },
): Promise<Omit<StepResult, 'attempt'>> {
  const started = Date.now();
  const cutoff = retentionCutoff(options.now, options.retentionDays);
  const removed = await events.deleteOlderThan(cutoff);
  const summary = `${removed} sync event(s) older than ${cutoff} deleted`;
  await events.append({
    runId,
    timestamp: new Date().toISOString(),
    eventType: 'cleanup',
    level: 'info',
    message: summary,
    recordsProcessed: removed,
    durationMs: Date.now() - started,
  });
  return { recordsProcessed: removed, recordsFailed: 0, summary };
}
