import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { durationMs, JOB_TYPES, type StepResult, totalsOf } from '../domain/job-run.ts';
import { publishRunOutcome } from './run-metrics.ts';
import { describeStepFunctionsError, formatStepFunctionsError } from './step-functions-error.ts';
import type { EngineStores } from './stores.ts';

/** A Catch's error output: `{ Error, Cause }`. */
const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

const StepCountsSchema = z.object({
  recordsProcessed: z.number().int().min(0),
  recordsFailed: z.number().int().min(0),
  attempt: z.number().int().min(1),
  rateLimitDeferrals: z.number().int().min(0).optional(),
});

const StepResultSchema = z.union([
  StepCountsSchema.extend({ summary: z.string() }),
  // An optional step that failed keeps the caught error; its summary is written here, where a Lambda
  // error's JSON Cause can be read (States.Format would copy the JSON and its stack trace).
  StepCountsSchema.extend({ error: CaughtErrorSchema }).transform(({ error, ...counts }) => ({
    ...counts,
    summary: `failed: ${formatStepFunctionsError(error)}`,
  })),
]);

export const FinishRunInputSchema = z.object({
  runId: z.string().min(1),
  jobType: z.enum(JOB_TYPES),
  executionArn: z.string().min(1),
  redriveCount: z.number().int().min(0).default(0),
  outcome: z.enum(['completed', 'failed']),
  results: z.record(z.string(), StepResultSchema).default({}),
  error: CaughtErrorSchema.optional(),
});

export interface FinishRunOutput {
  readonly runId: string;
  readonly status: 'completed' | 'failed';
  readonly durationMs: number;
  readonly recordsProcessed: number;
  readonly recordsFailed: number;
}

/**
 * The last state of every run: writes its outcome, totals and duration to JobHistory, releases the
 * overlap lock, publishes the job's failure streak and records processed, and records the projects it deferred
 * for a rate limit as a skip.
 */
export async function finishRun(
  { runs, events }: EngineStores,
  input: z.output<typeof FinishRunInputSchema>,
  options: { readonly now: Date; readonly metrics: Metrics },
): Promise<FinishRunOutput> {
  const now = options.now.toISOString();
  const run = await runs.get(input.runId);
  const elapsed = run ? durationMs(run.startedAt ?? run.createdAt, now) : 0;
  const totals = totalsOf(input.results as Record<string, StepResult>);
  const error = input.error ? describeStepFunctionsError(input.error) : undefined;
  const ended = await runs.endRun(input.runId, input.executionArn, {
    status: input.outcome,
    finishedAt: now,
    durationMs: elapsed,
    attempts: totals.attempts,
    redriveCount: input.redriveCount,
    ...(input.redriveCount > 0 ? { trigger: 'redrive' as const } : {}),
    recordsProcessed: totals.recordsProcessed,
    recordsFailed: totals.recordsFailed,
    summary: totals.summary || undefined,
    errorName: error?.name,
    errorMessage: error?.message,
    ...(totals.rateLimitDeferrals > 0 ? { rateLimitDeferrals: totals.rateLimitDeferrals } : {}),
  });
  await runs.releaseLock(input.jobType, input.runId);
  await publishRunOutcome(runs, options.metrics, input.jobType, {
    recordsProcessed: totals.recordsProcessed,
    closed: ended && run ? [{ ...run, status: input.outcome }] : [],
  });
  await events.append({
    runId: input.runId,
    timestamp: now,
    eventType: 'job',
    level: input.outcome === 'completed' ? 'info' : 'error',
    message:
      input.outcome === 'completed'
        ? `run completed in ${elapsed} ms`
        : `run failed after ${elapsed} ms: ${error?.name}: ${error?.message}`,
    recordsProcessed: totals.recordsProcessed,
    recordsFailed: totals.recordsFailed,
    durationMs: elapsed,
  });
  // A run that deferred projects for a rate limit skipped their sync: the skip and its reason, once for the run
  // (each project's own reason is in its github_sync event), for the watchdog's skipped runs to count.
  if (totals.rateLimitDeferrals > 0) {
    await events.append({
      runId: input.runId,
      timestamp: now,
      eventType: 'job',
      level: 'warn',
      message: `skipped (rate-limit): ${totals.rateLimitDeferrals} project(s) deferred to the next run for a GitHub rate limit`,
    });
  }
  return {
    runId: input.runId,
    status: input.outcome,
    durationMs: elapsed,
    recordsProcessed: totals.recordsProcessed,
    recordsFailed: totals.recordsFailed,
  };
}
