import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { type JobRun, type JobType, RunRequestSchema, runIdOf } from '../domain/job-run.ts';
import { publishRunOutcome } from './run-metrics.ts';
import { describeStepFunctionsError } from './step-functions-error.ts';
import type { EngineStores } from './stores.ts';

/** The `detail` of a "Step Functions Execution Status Change" event (times are epoch milliseconds). */
export const ExecutionStatusChangeSchema = z.object({
  executionArn: z.string().min(1),
  status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.number(),
  stopDate: z.number().nullable(),
  /** Missing when Step Functions truncates large inputs out of the event. */
  input: z.string().nullish(),
  error: z.string().nullish(),
  cause: z.string().nullish(),
  /** Redrives of the execution so far (0 or absent for its first attempt). */
  redriveCount: z.number().int().min(0).nullish(),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChangeSchema>;

export interface ReconcileOutput {
  readonly runId?: string;
  /**
   * closed: the run was still open and now records the outcome; recorded: the run had no row yet; redrive-ended: a
   * redrive of a run already closed ended without succeeding (a SyncEvent says so; the run keeps its outcome).
   */
  readonly action: 'closed' | 'recorded' | 'redrive-ended' | 'unchanged' | 'ignored';
}

const STATUS_OF = { FAILED: 'failed', TIMED_OUT: 'timeout', ABORTED: 'failed' } as const;

/**
 * Records the end of an execution that ended without reaching its own "Record Failure" state (a
 * state-machine timeout runs no Catch; an abort runs nothing; a failed Distributed Map is left uncaught so a
 * redrive restarts it). Conditional: a run that already recorded its outcome keeps it.
 * @param options.explain the error that says why the run failed better than the execution's, when the job knows one
 */
export async function reconcileExecution(
  { runs, events }: EngineStores,
  detail: ExecutionStatusChange,
  options: {
    readonly now: Date;
    readonly metrics: Metrics;
    readonly explain?: (run: { readonly runId: string; readonly jobType: JobType }) => Promise<Error | undefined>;
  },
): Promise<ReconcileOutput> {
  const request = RunRequestSchema.safeParse(executionInputOf(detail));
  if (!request.success) return { action: 'ignored' };
  const runId = runIdOf(request.data);
  const finishedAt = new Date(detail.stopDate ?? options.now.getTime()).toISOString();
  const explained = detail.status === 'FAILED' ? await options.explain?.({ runId, jobType: request.data.jobType }) : undefined;
  const error = explained
    ? { name: explained.name, message: explained.message }
    : describeStepFunctionsError({
        Error: detail.error ?? (detail.status === 'TIMED_OUT' ? 'States.Timeout' : `Execution${capitalize(detail.status)}`),
        Cause: detail.cause ?? `the execution ended as ${detail.status}`,
      });
  const ending = {
    status: STATUS_OF[detail.status],
    finishedAt,
    durationMs: (detail.stopDate ?? options.now.getTime()) - detail.startDate,
    errorName: error.name,
    errorMessage: error.message,
  };
  // The run as it ends: what is recorded when the execution ended before its first state recorded it.
  const run: JobRun = {
    ...request.data,
    runId,
    executionArn: detail.executionArn,
    createdAt: new Date(detail.startDate).toISOString(),
    attempts: 1,
    redriveCount: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
    ...ending,
  };
  let action: ReconcileOutput['action'] = (await runs.endOpenRun(run, ending)) ? 'closed' : 'unchanged';
  // The execution ended before its first state recorded the run: record it now, so it is not lost.
  if (action === 'unchanged' && (await runs.recordRun(run)).outcome === 'recorded') action = 'recorded';
  // A redrive that timed out or failed again leaves the closed run as it was: only this event tells the operator.
  if (action === 'unchanged' && (detail.redriveCount ?? 0) > 0) {
    await events.append({
      runId,
      timestamp: options.now.toISOString(),
      eventType: 'job',
      level: 'error',
      message: `redrive ${detail.redriveCount} ended as ${detail.status}: ${error.name}: ${error.message}; redrive it again to go on`,
      durationMs: ending.durationMs,
    });
    return { runId, action: 'redrive-ended' };
  }
  if (action !== 'unchanged') {
    await runs.releaseLock(request.data.jobType, runId);
    await publishRunOutcome(runs, options.metrics, request.data.jobType, { recordsProcessed: 0, closed: [run] });
    await events.append({
      runId,
      timestamp: options.now.toISOString(),
      eventType: 'job',
      level: 'error',
      message: `execution ended as ${detail.status}: ${error.name}: ${error.message}`,
      durationMs: ending.durationMs,
    });
  }
  return { runId, action };
}

/** The execution's input (its run request), parsed from the event's JSON; undefined when it is absent or not JSON. */
export function executionInputOf(detail: unknown): unknown {
  const input = (detail as { input?: unknown } | undefined)?.input;
  if (typeof input !== 'string') return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}

function capitalize(status: string): string {
  return (
    status.charAt(0) +
    status
      .slice(1)
      .toLowerCase()
      .replace(/_(.)/g, (_, letter: string) => letter.toUpperCase())
  );
}
