import * as z from 'zod';
import { type JobRun, RunRequestSchema, runIdOf } from '../domain/job-run.ts';
import type { EngineStores } from './stores.ts';

export const StartRunInputSchema = RunRequestSchema.extend({
  executionArn: z.string().min(1),
});
export type StartRunInput = z.infer<typeof StartRunInputSchema>;

/** started: do the work; duplicate: this slot already has a run; skipped: another run of the job is active. */
export type StartDecision = 'started' | 'duplicate' | 'skipped';

export interface StartRunOutput {
  readonly runId: string;
  readonly decision: StartDecision;
}

/**
 * The first state of every job: records the run (idempotent on job type + scheduled time), then takes
 * the job type's overlap lock. A lock left by a crashed run expires after `lockTtlMs`, and its run is
 * marked timed out when the lock is taken over.
 */
export async function startRun(
  { runs, events }: EngineStores,
  input: StartRunInput,
  options: { readonly now: Date; readonly lockTtlMs: number },
): Promise<StartRunOutput> {
  const now = options.now.toISOString();
  const runId = runIdOf(input);
  const run: JobRun = {
    runId,
    jobType: input.jobType,
    trigger: input.trigger,
    status: 'pending',
    scheduledTime: input.scheduledTime,
    executionArn: input.executionArn,
    createdAt: now,
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
  };
  const note = (level: 'info' | 'warn', message: string) => events.append({ runId, timestamp: now, eventType: 'job', level, message });

  const recorded = await runs.recordRun(run);
  if (recorded.outcome === 'duplicate') {
    await runs.noteDuplicateDelivery(runId);
    await note('info', `duplicate delivery ignored (execution ${input.executionArn})`);
    return { runId, decision: 'duplicate' };
  }
  // A retry of this state after a partial success: a run it already skipped stays skipped.
  if (recorded.outcome === 'own' && recorded.existing.status === 'skipped') return { runId, decision: 'skipped' };

  const lock = await runs.acquireLock(input.jobType, runId, options.now.getTime() + options.lockTtlMs, options.now.getTime());
  if (!lock.acquired) {
    const until = new Date(lock.holder.expiresAtMs).toISOString();
    const summary = `skipped: ${lock.holder.holderRunId} is still running (its lock holds until ${until})`;
    await runs.endOpenRun(run, { status: 'skipped', finishedAt: now, durationMs: 0, summary });
    await note('warn', summary);
    return { runId, decision: 'skipped' };
  }
  if (lock.replaced) {
    const stale = await runs.get(lock.replaced.holderRunId);
    if (stale) {
      const expiredAt = new Date(lock.replaced.expiresAtMs).toISOString();
      const message = `still ${stale.status} when its lock expired at ${expiredAt}; ${runId} took over`;
      await runs.endOpenRun(stale, { status: 'timeout', finishedAt: now, errorName: 'RunTimedOut', errorMessage: message });
      await events.append({ runId: stale.runId, timestamp: now, eventType: 'job', level: 'error', message });
    }
  }
  await runs.markRunning(runId, now);
  await note('info', `run started (${input.trigger})`);
  return { runId, decision: 'started' };
}
