/**
 * Executes a synthesized state machine definition with aws-local-stepfunctions, binding every Lambda
 * task to the deployed handler's source, and reports the execution as Step Functions would
 * (SUCCEEDED, FAILED, TIMED_OUT, ABORTED with error and cause).
 */
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { PROJECT_ROOT } from '../constructs/job-function.ts';
import { functionOf, type LocalStack } from './template.ts';

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const RETRY_COUNT_PATH = '$$.State.RetryCount';

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOutcome {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate: number;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface ExecuteOptions {
  readonly stateMachineArn: string;
  readonly name: string;
  /** Called before a task's handler, with the state's name: may throw (an injected fault) or delay. */
  readonly beforeTask?: (stateName: string, attempt: number) => Promise<void> | void;
  /**
   * Called after a task's handler returned, with the state's name: may throw, as a Lambda that died
   * after doing its work would (its side effects stay; Step Functions sees a failure and retries).
   */
  readonly afterTask?: (stateName: string, attempt: number) => Promise<void> | void;
  /** Retry waits in ms instead of the definition's backoff (tests use 0). */
  readonly retryIntervalMs?: number;
  /** Wait states' pause in ms instead of the definition's (tests use 0). */
  readonly waitMs?: number;
  /** Called as states are entered, retried, caught or failed. */
  readonly onStateEvent?: (line: string) => void;
}

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** Runs `definition` once with `input`; never throws for a failed execution, it reports it. */
export async function executeDefinition(
  stack: LocalStack,
  definition: Record<string, unknown>,
  input: Record<string, unknown>,
  options: ExecuteOptions,
): Promise<ExecutionOutcome> {
  const executionArn = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${options.name}`;
  const taskStates = collectStates(definition, 'Task');
  const consecutiveFailures = new Map<string, number>();

  const handlers = Object.fromEntries(
    taskStates.map(({ name, state }) => [name, bindTask(stack, name, state, consecutiveFailures, options)]),
  );
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const startDate = Date.now();
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryIntervalMs === undefined
        ? {}
        : { retryIntervalOverrides: Object.fromEntries(taskStates.map(({ name }) => [name, options.retryIntervalMs!])) }),
      ...(options.waitMs === undefined
        ? {}
        : { waitTimeOverrides: Object.fromEntries(collectStates(definition, 'Wait').map(({ name }) => [name, options.waitMs!])) }),
    },
    context: {
      Execution: { Id: executionArn, Name: options.name, RedriveCount: 0, Input: input, StartTime: new Date(startDate).toISOString() },
      StateMachine: { Id: options.stateMachineArn },
      // aws-local-stepfunctions 3 has no State context; the task binding below supplies RetryCount.
      State: { RetryCount: 0 },
    } as never,
  });
  const logging = options.onStateEvent ? relayEvents(execution.eventLogs, options.onStateEvent) : Promise.resolve();
  const base = { executionArn, name: options.name, startDate };
  try {
    const output = await execution.result;
    await logging;
    return { ...base, status: 'SUCCEEDED', stopDate: Date.now(), output };
  } catch (error) {
    await logging.catch(() => undefined);
    const stopDate = Date.now();
    if (error instanceof ExecutionTimeoutError) {
      return { ...base, status: 'TIMED_OUT', stopDate, error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
    }
    if (error instanceof ExecutionAbortedError) return { ...base, status: 'ABORTED', stopDate };
    if (error instanceof ExecutionError) {
      const cause = (error as Error & { cause?: Error }).cause;
      return { ...base, status: 'FAILED', stopDate, error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? error.message };
    }
    throw error;
  }
}

function bindTask(
  stack: LocalStack,
  stateName: string,
  state: Record<string, unknown>,
  consecutiveFailures: Map<string, number>,
  options: ExecuteOptions,
) {
  if (state.Resource !== LAMBDA_INVOKE) {
    throw new Error(`Task state "${stateName}" uses ${String(state.Resource)}, which the local runtime does not run`);
  }
  const parameters = state.Parameters as { FunctionName: string; 'Payload.$'?: string; Payload?: Record<string, unknown> };
  const fn = functionOf(stack, parameters.FunctionName);
  if (!fn) throw new Error(`Task state "${stateName}" invokes ${parameters.FunctionName}, which is not in the stack`);
  const retryCountKeys = Object.entries(parameters.Payload ?? {})
    .filter(([key, value]) => key.endsWith('.$') && value === RETRY_COUNT_PATH)
    .map(([key]) => key.slice(0, -2));
  let handler: LambdaHandler | undefined;

  return async (input: unknown) => {
    const { Payload: payload } = input as { Payload: Record<string, unknown> };
    // A retry re-enters the state with the same input right after a failure; Step Functions counts
    // those in $$.State.RetryCount.
    const attemptKey = `${stateName}\u0000${JSON.stringify(payload)}`;
    const retryCount = consecutiveFailures.get(attemptKey) ?? 0;
    for (const key of retryCountKeys) payload[key] = retryCount;
    try {
      await options.beforeTask?.(stateName, retryCount + 1);
      handler ??= await loadHandler(fn.entry);
      const result = await handler(payload, lambdaContext(fn.logicalId));
      await options.afterTask?.(stateName, retryCount + 1);
      consecutiveFailures.delete(attemptKey);
      return { Payload: result, StatusCode: 200 };
    } catch (error) {
      consecutiveFailures.set(attemptKey, retryCount + 1);
      throw error;
    }
  };
}

async function loadHandler(entry: string): Promise<LambdaHandler> {
  const module = (await import(pathToFileURL(path.join(PROJECT_ROOT, entry)).href)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler`);
  return module.handler;
}

/** Invokes a function's handler as its EventBridge target would. */
export async function invokeFunction(entry: string, logicalId: string, event: unknown): Promise<unknown> {
  return (await loadHandler(entry))(event, lambdaContext(logicalId));
}

function lambdaContext(functionName: string) {
  const deadline = Date.now() + 15 * 60_000;
  return {
    functionName,
    awsRequestId: crypto.randomUUID(),
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** Every state of a type, in Parallel branches and Map processors too. */
function collectStates(definition: Record<string, unknown>, type: string): { name: string; state: Record<string, unknown> }[] {
  const found: { name: string; state: Record<string, unknown> }[] = [];
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === type) found.push({ name, state });
      for (const branch of (state.Branches as { States: typeof states }[] | undefined) ?? []) visit(branch.States);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: typeof states } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return found;
}

async function relayEvents(events: AsyncGenerator<{ type: string; state?: { name: string }; Error?: string }>, emit: (line: string) => void) {
  for await (const event of events) {
    const name = event.state?.name;
    if (event.type === 'StateEntered') emit(`→ ${name}`);
    else if (event.type === 'StateRetried') emit(`↻ ${name} retried`);
    else if (event.type === 'StateCaught') emit(`⚠ ${name} failed, caught`);
    else if (event.type === 'StateFailed') emit(`✗ ${name}: ${event.Error}`);
  }
}
