import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { JOB_TYPES, type StepResult } from '../domain/job-run.ts';
import { lambdaHandler } from '../handler.ts';
import { parseInput } from './parse-input.ts';

/** What the state machine passes to every work task. */
export const WorkStepInputSchema = z.object({
  runId: z.string().min(1),
  jobType: z.enum(JOB_TYPES),
  scheduledTime: z.iso.datetime({ offset: false }),
  /** `$$.State.RetryCount`: 0 on the first attempt. */
  retryCount: z.number().int().min(0),
});
export type WorkStepInput = z.infer<typeof WorkStepInputSchema>;

/**
 * Builds the Lambda handler of a work task: parses the input, runs `work` with the run's scheduled time
 * as "now" (and the raw event, for a step's own fields), and reports which attempt succeeded. Errors
 * propagate to Step Functions' Retry/Catch.
 */
export function workStepHandler(
  work: (input: WorkStepInput & { readonly now: Date; readonly event: unknown }) => Promise<Omit<StepResult, 'attempt'>>,
): (event: unknown, context: Context) => Promise<StepResult & { readonly rateLimitDeferrals: number }> {
  return lambdaHandler(async (event: unknown) => {
    const input = parseInput(WorkStepInputSchema, event);
    const result = await work({ ...input, now: new Date(input.scheduledTime), event });
    // Every step returns the count, 0 included: the state machine's result selector reads each field it keeps.
    return { ...result, rateLimitDeferrals: result.rateLimitDeferrals ?? 0, attempt: input.retryCount + 1 };
  });
}
