/**
 * Executes a synthesized state machine definition with aws-local-stepfunctions, binding every Lambda
 * task to the deployed handler's source, and reports the execution as Step Functions would
 * (SUCCEEDED, FAILED, TIMED_OUT, ABORTED with error and cause), within Step Functions' history and
 * payload limits.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { PROJECT_ROOT } from '../project.ts';
import { type ChildExecutionType, DISTRIBUTED_MAP_RESOURCE, type MapRunRecord, withDistributedMaps } from './distributed-map.ts';
import {
  ExecutionHistory,
  ExecutionLimitError,
  MAX_PAYLOAD_BYTES,
  type MachineEvents,
  type MachineOutcome,
  type MachineScope,
  payloadBytes,
} from './execution-history.ts';
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
  /** Events in the execution's history as Step Functions would write them (at most 25,000 for a Standard one). */
  readonly historyEventCount: number;
  /** Its largest payload: a state's input or output, a task's parameters or result (at most 256 KiB). */
  readonly largestPayloadBytes: number;
  /** The child executions its Distributed Maps started, in the order they ended. */
  readonly children: readonly ExecutionOutcome[];
  /** What a redrive of the execution continues from (see {@link redriveExecution}). */
  readonly record: ExecutionRecord;
}

/** What Step Functions keeps of an execution that a redrive continues: its definition, history and Map Runs. */
export interface ExecutionRecord {
  readonly definition: Record<string, unknown>;
  readonly executionType: ChildExecutionType;
  /** Redrives of the execution so far ($$.Execution.RedriveCount). */
  readonly redriveCount: number;
  /**
   * The execution's state that was entered and had not exited when it ended (its Fail state, the state whose error
   * no Catch took, or the one running at a timeout), with its input: a redrive runs it again.
   */
  readonly unfinished?: { readonly state: string; readonly type: string; readonly input: unknown };
  /** Its Distributed Maps' Map Runs, by state name. */
  readonly mapRuns: ReadonlyMap<string, MapRunRecord>;
  /** It broke the history's 25,000 events: Step Functions does not redrive it. */
  readonly eventLimitReached: boolean;
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
  /** Called with the same changes as {@link onStateEvent}, and each machine's start and end, as data (the CLI's progress). */
  readonly onStateChange?: (change: StateChange) => void;
  /** STANDARD (the default) keeps at most 25,000 history events; EXPRESS keeps none but lasts at most 5 minutes. */
  readonly executionType?: ChildExecutionType;
  /** An Express execution's longest duration, instead of AWS's 5 minutes (tests shorten it). */
  readonly expressTimeoutSeconds?: number;
}

/** An Express execution's longest duration: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html */
export const EXPRESS_TIMEOUT_SECONDS = 300;

/** How long after it ended an execution may be redriven: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html */
export const REDRIVABLE_PERIOD_MS = 14 * 86_400_000;

/**
 * A change in a run, as the CLI's progress follows it. `machine` numbers an execution's machines in the order they
 * started (0 is the execution; a Map iteration or a Parallel branch is one machine), so events of concurrent
 * iterations can be told apart; a Distributed Map's child execution numbers its own from 0, and its changes name it
 * (`execution`, absent for the execution that was started).
 */
export type StateChange = { readonly execution?: string } & (
  | { readonly kind: 'started'; readonly machine: number; readonly scope: MachineScope; readonly input: unknown }
  | { readonly kind: 'ended'; readonly machine: number; readonly scope: MachineScope; readonly outcome: MachineOutcome }
  | {
      readonly kind: 'entered';
      readonly machine: number;
      readonly scope: MachineScope;
      readonly state: string;
      readonly type: string;
      /** For a Map state: how many items it iterates over (its ItemsPath's array), when known. */
      readonly items?: number;
    }
  | {
      readonly kind: 'retried' | 'caught' | 'failed';
      readonly machine: number;
      readonly scope: MachineScope;
      readonly state: string;
      readonly error?: string;
    }
);

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Runs `definition` once with `input`; never throws for a failed execution, it reports it. Resolves once
 * every task invocation it started has returned (as a Lambda does, one may outlive a timed-out execution).
 * @throws Error when Step Functions would refuse to start it (input over 256 KiB), or when the runtime lost
 * track of the execution (its observer, `onStateEvent` included, threw): then its outcome means nothing
 */
export async function executeDefinition(
  stack: LocalStack,
  definition: Record<string, unknown>,
  input: Record<string, unknown>,
  options: ExecuteOptions,
): Promise<ExecutionOutcome> {
  if (payloadBytes(input) > MAX_PAYLOAD_BYTES) {
    throw new Error(`StartExecution refused: the input is ${payloadBytes(input)} bytes, more than Step Functions' ${MAX_PAYLOAD_BYTES}`);
  }
  return runAttempt(stack, definition, input, options);
}

/** The error RedriveExecution answers with for an execution Step Functions does not redrive. */
export class ExecutionNotRedrivableError extends Error {
  override name = 'ExecutionNotRedrivable';
}

/**
 * Redrives an execution as RedriveExecution does: the same definition, name and ARN, continued from its unfinished
 * state with that state's input, the states that succeeded not run again; a Distributed Map redrives its Map Run,
 * whose failed and unstarted children alone start again (Express ones anew). The execution's timeout starts over.
 * Refused, as AWS refuses, for an Express execution, a succeeded one, one that broke the history's limit, or one
 * that ended more than 14 days before `now`. (Inline Map and Parallel states, whose failed iterations and branches
 * alone AWS reruns, are not redriven here: the local runtime refuses rather than rerun them all.)
 * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 * @param options the same options as the execution's, but its name and type, which the redrive keeps
 * @throws ExecutionNotRedrivableError when Step Functions would refuse the redrive
 */
export async function redriveExecution(
  stack: LocalStack,
  execution: ExecutionOutcome,
  options: Omit<ExecuteOptions, 'name' | 'executionType'> & { readonly now?: Date },
): Promise<ExecutionOutcome> {
  const { record } = execution;
  const refuse = (reason: string) => {
    throw new ExecutionNotRedrivableError(`Execution ${execution.executionArn} cannot be redriven: ${reason}`);
  };
  if (record.executionType === 'EXPRESS') refuse('RedriveExecution does not redrive Express executions');
  if (execution.status === 'SUCCEEDED') refuse('Execution is SUCCEEDED and cannot be redriven.');
  if (record.eventLimitReached) refuse('Execution history event limit exceeded.');
  if ((options.now ?? new Date()).getTime() - execution.stopDate > REDRIVABLE_PERIOD_MS) {
    refuse('Execution redrivable period exceeded.');
  }
  const from = record.unfinished;
  if (!from) return refuse('no state of the execution was left unfinished');
  if (from.type === 'Parallel' || from.type === 'Map') {
    refuse(`its ${from.type} state "${from.state}" failed: the local runtime does not redrive Inline Map or Parallel states`);
  }
  return runAttempt(stack, { ...record.definition, StartAt: from.state }, from.input as Record<string, unknown>, {
    ...options,
    name: execution.name,
    executionType: record.executionType,
    redriveOf: execution,
  });
}

/** An attempt of an execution: its first run, or a redrive continuing `redriveOf`. */
async function runAttempt(
  stack: LocalStack,
  definition: Record<string, unknown>,
  input: Record<string, unknown>,
  options: ExecuteOptions & { readonly redriveOf?: ExecutionOutcome },
): Promise<ExecutionOutcome> {
  const { redriveOf: redriven, ...executeOptions } = options;
  const executionArn = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${options.name}`;
  // A Distributed Map's children are executions of their own, each with its history and limits.
  const children: ExecutionOutcome[] = [];
  // This attempt's Map Runs, for a later redrive: those it does not run again stay as they were.
  const mapRuns = new Map<string, MapRunRecord>(redriven?.record.mapRuns);
  let executionEnded = false;
  const distributed = withDistributedMaps(
    definition,
    async (child, childInput, childName, executionType) => {
      const name = `${options.name}/${childName}`;
      const { onStateChange } = options;
      const outcome = await executeDefinition(stack, child, childInput, {
        ...executeOptions,
        name,
        executionType,
        ...(onStateChange && { onStateChange: (change: StateChange) => onStateChange({ execution: name, ...change }) }),
      });
      children.push(outcome);
      return outcome;
    },
    { ...(redriven && { redriven: new Map(redriven.record.mapRuns) }), record: mapRuns, executionEnded: () => executionEnded },
  );
  const express = options.executionType === 'EXPRESS';
  const local = express
    ? { ...distributed.definition, TimeoutSeconds: options.expressTimeoutSeconds ?? EXPRESS_TIMEOUT_SECONDS }
    : distributed.definition;
  const taskStates = collectStates(local, 'Task').filter(({ state }) => state.Resource !== DISTRIBUTED_MAP_RESOURCE);
  let execution: ReturnType<StateMachine['run']> | undefined;
  const run: TaskRun = {
    // A redrive's history continues the execution's: its first event, ExecutionRedriven, stands where ExecutionStarted did.
    history: new ExecutionHistory(() => execution?.abort(), express ? Number.POSITIVE_INFINITY : undefined, redriven?.historyEventCount),
    consecutiveFailures: new Map(),
    invocations: new Set(),
    tracking: {
      lost: undefined,
      lose(error) {
        this.lost ??= new Error(
          `the local runtime lost track of execution ${options.name}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
        execution?.abort();
      },
    },
  };

  // A Map Run outlives an execution that timed out or was stopped while its children ran: it is awaited as an invocation.
  const mapRunHandlers = Object.entries(distributed.handlers).map(([name, runMapRun]) => [
    name,
    (mapInput: unknown) => {
      const mapRun = runMapRun(mapInput);
      run.invocations.add(mapRun);
      return mapRun.finally(() => run.invocations.delete(mapRun));
    },
  ]);
  const handlers = {
    ...Object.fromEntries(taskStates.map(({ name, state }) => [name, bindTask(stack, name, state, run, options)])),
    ...Object.fromEntries(mapRunHandlers),
  };
  const machine = new StateMachine(local as unknown as StateMachineDefinition, {
    // A redrive starts at its unfinished state, from which the states before it cannot be reached: the definition was
    // validated when the execution started.
    validationOptions: redriven ? { noValidate: true } : { checkArn: false },
  });
  const startDate = Date.now();
  const redriveCount = redriven ? redriven.record.redriveCount + 1 : 0;
  const unfinished: UnfinishedState = { state: undefined };
  const runOptions = {
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
      Execution: {
        Id: executionArn,
        Name: options.name,
        RedriveCount: redriveCount,
        Input: input,
        StartTime: new Date(startDate).toISOString(),
        ...(redriven && { RedriveTime: new Date(startDate).toISOString() }),
      },
      StateMachine: { Id: options.stateMachineArn },
      // aws-local-stepfunctions 3 has no State context; the task binding below supplies RetryCount.
      State: { RetryCount: 0 },
    } as never,
    [OBSERVER]: observeMachines(local, run.history, run.tracking, options, unfinished),
  };
  execution = machine.run(input as never, runOptions);
  // The first task is bound before run() returns: a limit its parameters broke could not abort the run yet.
  if (run.history.failure || run.tracking.lost) execution.abort();
  const settled = await execution.result.then(
    (output) => ({ output, error: undefined }),
    (error: unknown) => ({ output: undefined, error }),
  );
  const stopDate = Date.now();
  executionEnded = true;
  await Promise.allSettled(run.invocations);
  if (run.tracking.lost) throw run.tracking.lost;
  const base = {
    executionArn,
    name: options.name,
    startDate,
    stopDate,
    historyEventCount: run.history.eventCount,
    largestPayloadBytes: run.history.largestPayloadBytes,
    children,
    record: {
      definition: redriven?.record.definition ?? definition,
      executionType: options.executionType ?? 'STANDARD',
      redriveCount,
      ...(unfinished.state && { unfinished: unfinished.state }),
      mapRuns,
      eventLimitReached: run.history.eventLimitReached,
    },
  };
  const limit = run.history.failure;
  if (limit) return { ...base, status: 'FAILED', error: limit.name, cause: limit.message };
  const { error } = settled;
  if (error === undefined) return { ...base, status: 'SUCCEEDED', output: settled.output };
  if (error instanceof ExecutionTimeoutError) {
    return { ...base, status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
  }
  if (error instanceof ExecutionAbortedError) return { ...base, status: 'ABORTED' };
  if (error instanceof ExecutionError) {
    const cause = (error as Error & { cause?: Error }).cause;
    return { ...base, status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? error.message };
  }
  throw error;
}

/** The execution's own state (not a Map iteration's or a branch's) entered and not exited yet, with its input. */
interface UnfinishedState {
  state: ExecutionRecord['unfinished'];
}

/** What one execution's task bindings share. */
interface TaskRun {
  readonly history: ExecutionHistory;
  /** Failed attempts in a row per state and input: Step Functions' $$.State.RetryCount. */
  readonly consecutiveFailures: Map<string, number>;
  /** Invocations still running. */
  readonly invocations: Set<Promise<unknown>>;
  readonly tracking: Tracking;
}

/**
 * Whether the runtime still follows the run. Once observing it failed, its history is unknown: the run is
 * stopped, nothing more is observed, and it reports no outcome (the harness failed, not the execution).
 */
interface Tracking {
  lost: Error | undefined;
  /** Stops the run for `error`, which executeDefinition throws once the run has stopped (the first one). */
  lose(error: unknown): void;
}

function bindTask(stack: LocalStack, stateName: string, state: Record<string, unknown>, run: TaskRun, options: ExecuteOptions) {
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

  const invoke = async (payload: Record<string, unknown>, attempt: number) => {
    try {
      await options.beforeTask?.(stateName, attempt);
      handler ??= await loadHandler(fn.entry);
      const result = await handler(payload, lambdaContext(fn.logicalId));
      await options.afterTask?.(stateName, attempt);
      return result;
    } catch (error) {
      throw asStepFunctionsError(error);
    }
  };

  return async (input: unknown) => {
    // The history is current: every event before this attempt was counted as the runtime logged it.
    if (run.history.ended || run.tracking.lost)
      throw Object.assign(new Error('the execution has ended'), { isRetryable: false, isCatchable: false });
    run.history.taskStarted(stateName, input);
    const { Payload: payload } = input as { Payload: Record<string, unknown> };
    // A retry re-enters the state with the same input right after a failure; Step Functions counts
    // those in $$.State.RetryCount.
    const attemptKey = `${stateName}\u0000${JSON.stringify(payload)}`;
    const retryCount = run.consecutiveFailures.get(attemptKey) ?? 0;
    for (const key of retryCountKeys) payload[key] = retryCount;
    const invocation = invoke(payload, retryCount + 1);
    run.invocations.add(invocation);
    try {
      const response = lambdaInvokeResponse(await invocation);
      run.consecutiveFailures.delete(attemptKey);
      run.history.taskResult(response);
      return response;
    } catch (error) {
      if (!(error instanceof ExecutionLimitError)) run.consecutiveFailures.set(attemptKey, retryCount + 1);
      throw error;
    } finally {
      run.invocations.delete(invocation);
    }
  };
}

/**
 * A function's error as Step Functions reports it: `Error` is the error type and `Cause` the JSON the
 * Node.js runtime writes (`errorType`, `errorMessage`, `trace`), so Retry/Catch match on the name and a
 * catcher's `$.Cause` is that JSON. Errors named `Lambda.*` stand for the Lambda service's own failures
 * (throttling, service errors), whose Cause is plain text.
 */
function asStepFunctionsError(error: unknown): Error {
  if (error instanceof Error && error.name.startsWith('Lambda.')) return error;
  const body =
    error instanceof Error
      ? { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }
      : { errorType: typeof error, errorMessage: String(error), trace: [] };
  const shaped = new Error(JSON.stringify(body));
  shaped.name = body.errorType;
  return shaped;
}

/**
 * The result of `lambda:invoke` as Step Functions receives it: the payload with Lambda's response
 * metadata, which counts toward the task result's 256 KiB.
 */
function lambdaInvokeResponse(payload: unknown) {
  const requestId = crypto.randomUUID();
  const date = new Date().toUTCString();
  const length = String(payloadBytes(payload));
  const headers = {
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    Connection: 'keep-alive',
    'x-amzn-RequestId': requestId,
    'Content-Length': length,
    Date: date,
    'X-Amzn-Trace-Id': `Root=1-${hex(4)}-${hex(12)};Parent=${hex(8)};Sampled=0;Lineage=1:${hex(4)}:0`,
    'Content-Type': 'application/json',
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload ?? null,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      HttpHeaders: headers,
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
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

/** A machine's definition: the execution's, a Map's processor, or a Parallel's branch. */
interface MachineDefinition {
  readonly States: Record<string, Record<string, unknown>>;
}

/** Calls `visit` with every machine a run of `definition` may start, and which one it is. */
function forEachMachine(definition: Record<string, unknown>, visit: (machine: MachineDefinition, scope: MachineScope) => void) {
  const walk = (machine: MachineDefinition, scope: MachineScope) => {
    visit(machine, scope);
    for (const [name, state] of Object.entries(machine.States)) {
      for (const branch of (state.Branches as MachineDefinition[] | undefined) ?? []) walk(branch, { kind: 'Parallel', parent: name });
      const processor = (state.ItemProcessor ?? state.Iterator) as MachineDefinition | undefined;
      if (processor) walk(processor, { kind: 'Map', parent: name });
    }
  };
  walk(definition as unknown as MachineDefinition, { kind: 'Execution' });
}

/** Every state of a type, in Parallel branches and Map processors too. */
function collectStates(definition: Record<string, unknown>, type: string): { name: string; state: Record<string, unknown> }[] {
  const found: { name: string; state: Record<string, unknown> }[] = [];
  forEachMachine(definition, (machine) => {
    for (const [name, state] of Object.entries(machine.States)) if (state.Type === type) found.push({ name, state });
  });
  return found;
}

/*
 * Feeding the history. aws-local-stepfunctions runs each Map iteration and Parallel branch as a machine of its
 * own, with its own event log, and forwards that log to its parent's asynchronously: late (when a Map ends,
 * thousands of its events can still be on their way to the execution's log, the public `eventLogs`), and not
 * at all once the parent has ended (a Map that ends the execution, or an iteration, loses its last
 * iterations' last events). So the history is fed where each event happens instead: StateMachine's internal
 * `execute(input, options)` receives every machine's own log before the machine logs anything, and the run's
 * observer, which Map and Parallel pass on in the run's options, hooks that log. Each event is then counted
 * synchronously as it is logged: when a task's binding is called, right after its state was entered, every
 * event before it has been counted, however busy the process is. Nothing reads `eventLogs`, so the logs keep
 * no event: each would hold its state's input and output until the execution ends. The version is pinned in
 * package.json; the tests of the history limit fail if these internals change.
 */

/** How a machine logs its own events (aws-local-stepfunctions 3.0.0's internal EventLogger). */
interface EventLog {
  dispatchExecutionStartedEvent(input: unknown): void;
  dispatchExecutionSucceededEvent(output: unknown): void;
  dispatchExecutionFailedEvent(error: Error): void;
  dispatchExecutionAbortedEvent(): void;
  dispatchExecutionTimeoutEvent(): void;
  dispatchStateEnteredEvent(name: string, type: string, input: unknown): void;
  dispatchStateExitedEvent(name: string, type: string, input: unknown, output: unknown): void;
  dispatchStateFailedEvent(name: string, type: string, input: unknown, error: Error): void;
  dispatchStateRetriedEvent(name: string, type: string): void;
  dispatchStateCaughtEvent(name: string, type: string): void;
  /** Queues an event for `eventLogs` (and the forwarding to a parent machine's log). */
  dispatch(event: object): void;
}

/** Called as each machine of a run starts, with the machine's definition and its log. */
type MachineObserver = (definition: object, log: EventLog) => void;

/**
 * The key of a run's observer in its run options, and the mark of a patched prototype: registered symbols,
 * the same in every evaluation of this module. One process may evaluate it more than once (vi.resetModules,
 * a test runner re-evaluating modules for each file) while aws-local-stepfunctions, and the prototype, stay
 * shared: the first evaluation's patch serves them all, instead of one more wrapper each time, each calling
 * the observer.
 */
const OBSERVER = Symbol.for('cto-dashboard-jobs.local-runtime.machine-observer');
const PATCHED = Symbol.for('cto-dashboard-jobs.local-runtime.execute-patched');

const machinePrototype = StateMachine.prototype as unknown as {
  execute(
    this: { definition: object },
    input: unknown,
    options: { runOptions?: { [OBSERVER]?: MachineObserver }; eventLogger: EventLog },
    cleanup: () => void,
  ): Promise<unknown>;
  [PATCHED]?: true;
};
if (!machinePrototype[PATCHED]) {
  const executeMachine = machinePrototype.execute;
  if (typeof executeMachine !== 'function')
    throw new Error('aws-local-stepfunctions has no StateMachine.execute: the local runtime needs 3.0.0');
  machinePrototype.execute = function (input, options, cleanup) {
    options.runOptions?.[OBSERVER]?.(this.definition, options.eventLogger);
    return executeMachine.call(this, input, options, cleanup);
  };
  Object.defineProperty(machinePrototype, PATCHED, { value: true });
}

/**
 * The observer that feeds `history` from every machine of a run of `definition`, and relays state changes to
 * the listeners. What it throws goes to `tracking`, never to the machine: thrown where the machine logs, it would
 * be the state's error, which a Catch of States.ALL would take (or, in a Map iteration, its Map's).
 */
function observeMachines(
  definition: Record<string, unknown>,
  history: ExecutionHistory,
  tracking: Tracking,
  listeners: Pick<ExecuteOptions, 'onStateEvent' | 'onStateChange'>,
  unfinished: UnfinishedState,
): MachineObserver {
  const scopes = new Map<object, MachineScope>();
  forEachMachine(definition, (machine, scope) => scopes.set(machine, scope));
  let machines = 0;
  return (machineDefinition, log) => {
    try {
      const scope = scopes.get(machineDefinition);
      if (!scope) throw new Error("aws-local-stepfunctions started a machine whose definition is not part of the execution's");
      const machine = machines++;
      const { onStateEvent = () => undefined, onStateChange = () => undefined } = listeners;
      const states = (machineDefinition as MachineDefinition).States;
      report(log, history.machine(scope), tracking, {
        line: onStateEvent,
        change: (change) => onStateChange({ ...change, machine, scope } as StateChange),
        itemsOf: (state, input) => itemsAt(input, states[state]?.ItemsPath),
        ...(scope.kind === 'Execution' && { unfinished }),
      });
    } catch (error) {
      tracking.lose(error);
    }
  };
}

/** Where one machine's changes go: the line listener, the data listener (which adds the machine and scope), and a Map's item count. */
interface Relay {
  line(line: string): void;
  change(change: DistributiveOmit<StateChange, 'machine' | 'scope'>): void;
  itemsOf(state: string, input: unknown): number | undefined;
  /** The execution's own machine only: where its unfinished state is kept, for a redrive. */
  unfinished?: UnfinishedState;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** How many items a Map state iterates over: the array at its ItemsPath (a plain `$.a.b` path), else undefined. */
function itemsAt(input: unknown, itemsPath: unknown): number | undefined {
  const pathText = typeof itemsPath === 'string' ? itemsPath : '$';
  if (!/^\$(\.[\w-]+)*$/.test(pathText)) return undefined;
  const items = pathText
    .split('.')
    .slice(1)
    .reduce<unknown>(
      (value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
      input,
    );
  return Array.isArray(items) ? items.length : undefined;
}

/** Makes `log` report each event to `events`, and state changes to `relay`, as the machine logs it, and keep none. */
function report(log: EventLog, events: MachineEvents, tracking: Tracking, relay: Relay) {
  // Nothing reads the run's `eventLogs`: a queued event would hold its state's input and output until the execution ends.
  log.dispatch = () => undefined;
  const before = <K extends Exclude<keyof EventLog, 'dispatch'>>(method: K, observe: (...args: Parameters<EventLog[K]>) => void) => {
    const dispatch = (log[method] as (...args: Parameters<EventLog[K]>) => void).bind(log);
    log[method] = ((...args: Parameters<EventLog[K]>) => {
      try {
        if (!tracking.lost) observe(...args);
      } catch (error) {
        tracking.lose(error);
      }
      dispatch(...args);
    }) as EventLog[K];
  };
  const ended = (outcome: MachineOutcome) => {
    events.ended(outcome);
    relay.change({ kind: 'ended', outcome });
  };
  before('dispatchExecutionStartedEvent', (input) => {
    events.started(input);
    relay.change({ kind: 'started', input });
  });
  before('dispatchExecutionSucceededEvent', () => ended('Succeeded'));
  before('dispatchExecutionFailedEvent', () => ended('Failed'));
  before('dispatchExecutionAbortedEvent', () => ended('Aborted'));
  before('dispatchExecutionTimeoutEvent', () => ended('TimedOut'));
  before('dispatchStateEnteredEvent', (name, type, input) => {
    events.stateEntered(name, type);
    if (relay.unfinished) relay.unfinished.state = { state: name, type, input };
    relay.line(`→ ${name}`);
    relay.change({ kind: 'entered', state: name, type, ...(type === 'Map' ? { items: relay.itemsOf(name, input) } : {}) });
  });
  before('dispatchStateRetriedEvent', (name) => {
    relay.line(`↻ ${name} retried`);
    relay.change({ kind: 'retried', state: name });
  });
  before('dispatchStateCaughtEvent', (name) => {
    events.stateCaught(name);
    relay.line(`⚠ ${name} failed, caught`);
    relay.change({ kind: 'caught', state: name });
  });
  before('dispatchStateFailedEvent', (name, type, _input, error) => {
    events.stateFailed(name, type);
    relay.line(`✗ ${name}: ${error.name}`);
    relay.change({ kind: 'failed', state: name, error: error.name });
  });
  before('dispatchStateExitedEvent', (name, type, _input, output) => {
    events.stateExited(name, type, output);
    if (relay.unfinished?.state?.state === name) relay.unfinished.state = undefined;
  });
}
