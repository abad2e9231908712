/**
 * Every Lambda handler is wrapped once, here, the Powertools way (middy): the Tracer opens the handler's
 * subsegment, the Logger adds the Lambda context (`function_request_id`, `cold_start`, ...) to each line,
 * and the run's correlation ids (`runId`, and `projectId` and `jobType` when the input has them) are added
 * to every line of the invocation and to the trace as annotations, then dropped when it ends. Each
 * invocation ends with one line: `invocation completed` with the step's summary, so a run that went well
 * can be followed too, or `invocation failed` with the error, which reaches Step Functions unchanged
 * (Retry and Catch match on its name).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { RunRequestSchema, runIdOf } from './domain/job-run.ts';
import { logger } from './logger.ts';
import { tracer } from './tracer.ts';

export interface CorrelationIds {
  readonly runId?: string;
  readonly projectId?: string;
  readonly jobType?: string;
}

export interface LambdaHandlerOptions<Event> {
  /**
   * Where the correlation ids are read: an object with `runId`, `projectId` or `jobType`, or a run request.
   * @default the event itself
   */
  readonly correlationSource?: (event: Event) => unknown;
}

/**
 * The correlation ids `source` carries: its own `runId`, `projectId` and `jobType`, and for a run request
 * (Start Run's input, an execution's input) the run id it stands for.
 */
export function correlationIdsOf(source: unknown): CorrelationIds {
  if (typeof source !== 'object' || source === null) return {};
  const fields = source as Record<string, unknown>;
  const text = (name: string) => (typeof fields[name] === 'string' ? { [name]: fields[name] } : {});
  const request = RunRequestSchema.safeParse(source);
  const runId = typeof fields.runId === 'string' ? fields.runId : request.success ? runIdOf(request.data) : undefined;
  return { ...(runId ? { runId } : {}), ...text('projectId'), ...text('jobType') };
}

/** What a step's result says of its work (a StepResult's figures and summary), for the completion line. */
function outcomeOf(response: unknown): Record<string, unknown> {
  if (typeof response !== 'object' || response === null) return {};
  const { recordsProcessed, recordsFailed, summary } = response as Record<string, unknown>;
  return Object.fromEntries(Object.entries({ recordsProcessed, recordsFailed, summary }).filter(([, value]) => value !== undefined));
}

/** Adds the correlation ids to the logger's keys and the trace; logs how the invocation ended with them. */
function correlation<Event>(sourceOf: (event: Event) => unknown): MiddlewareObj<Event> {
  return {
    before: ({ event }) => {
      const ids = correlationIdsOf(sourceOf(event));
      logger.appendKeys({ ...ids });
      for (const [key, value] of Object.entries(ids)) tracer.putAnnotation(key, value);
    },
    after: ({ response }) => {
      logger.info('invocation completed', outcomeOf(response));
    },
    onError: ({ error }) => {
      logger.error('invocation failed', error as Error);
    },
  };
}

/**
 * Wraps `handle` with the Tracer, the Logger's Lambda context and the run's correlation ids.
 * Middy's early timeout is off: a function that runs out of time fails as Lambda reports it, not as middy's TimeoutError.
 */
export function lambdaHandler<Event, Result>(
  handle: (event: Event, context: Context) => Promise<Result>,
  options: LambdaHandlerOptions<Event> = {},
): (event: Event, context: Context) => Promise<Result> {
  return (
    middy<Event, Result, Error, Context>(handle, { timeoutEarlyInMillis: 0 })
      // No response in the trace: a Map's results can outgrow the 64 KB an X-Ray segment document holds.
      .use(captureLambdaHandler(tracer, { captureResponse: false }))
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(correlation<Event>(options.correlationSource ?? ((event) => event)))
  );
}
