/**
 * Step Functions' limits on one Standard execution, enforced on an aws-local-stepfunctions run (which
 * enforces neither): a history of at most 25,000 events, and payloads of at most 256 KiB.
 * Limits: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */

/** Events in one execution's history, the failure event included. */
export const MAX_HISTORY_EVENTS = 25_000;
/** Largest input or output of an execution, a state or a task: UTF-8 bytes of its JSON. */
export const MAX_PAYLOAD_BYTES = 262_144;

/**
 * The failure Step Functions itself imposes when an execution breaks a limit. No Retry or Catch
 * matches it (aws-local-stepfunctions reads `isRetryable`/`isCatchable`), so it ends the execution.
 */
export class ExecutionLimitError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(name: 'States.Runtime' | 'States.DataLimitExceeded', cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Which machine of a run logs an event: the execution itself, or one iteration of a Map or branch of a Parallel. */
export type MachineScope = { readonly kind: 'Execution' } | { readonly kind: 'Map' | 'Parallel'; readonly parent: string };

/** How a machine's run ended. */
export type MachineOutcome = 'Succeeded' | 'Failed' | 'Aborted' | 'TimedOut';

/**
 * What one machine logs, one call per event as it happens: each records what AWS writes for it (0 to 2
 * events) and checks the payload it carries.
 * Event types: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export interface MachineEvents {
  started(input: unknown): void;
  ended(outcome: MachineOutcome): void;
  stateEntered(name: string, type: string): void;
  /** A state's attempt failed (a Task's attempt: TaskFailed or TaskTimedOut). */
  stateFailed(name: string, type: string): void;
  stateCaught(name: string): void;
  stateExited(name: string, type: string, output: unknown): void;
}

/** States that write their own Succeeded/Failed events (and, for Map and Parallel, a Started). */
const WRITES_OUTCOME = new Set(['Task', 'Map', 'Parallel']);

/** The history AWS would hold for the run so far, fed by the run's machines as they log and by its task bindings. */
export class ExecutionHistory {
  /** Events written so far (AWS numbers them from 1; the last one is the execution's outcome). */
  private events = 0;
  private largestPayload = 0;
  private limitError?: ExecutionLimitError;
  private executionEnded = false;

  /**
   * @param onLimit called once, when a limit is broken: it must stop the run.
   * @param maxEvents the history's limit: none for an Express execution, whose history Step Functions does not keep.
   * @param priorEvents events of the attempts a redrive continues (its history goes on from theirs, toward the same limit)
   */
  constructor(
    private readonly onLimit: () => void,
    private readonly maxEvents = MAX_HISTORY_EVENTS,
    priorEvents = 0,
  ) {
    this.events = priorEvents;
  }

  get eventCount(): number {
    return this.events;
  }

  /** The largest payload (a state's input or output, a task's parameters or result) seen so far, in bytes. */
  get largestPayloadBytes(): number {
    return this.largestPayload;
  }

  /** The limit the run broke, if any: the execution's error. */
  get failure(): ExecutionLimitError | undefined {
    return this.limitError;
  }

  /** True when the run broke the history's limit on events (an execution Step Functions does not redrive). */
  get eventLimitReached(): boolean {
    return this.limitError !== undefined && this.events >= this.maxEvents;
  }

  /** True once the execution has its outcome (or broke a limit): Step Functions schedules no more tasks. */
  get ended(): boolean {
    return this.executionEnded;
  }

  /** Where the machine `scope` names reports what it logs. */
  machine(scope: MachineScope): MachineEvents {
    // States whose error a Catch took: they exit without a Succeeded event. A machine runs one state at a time.
    const caught = new Set<string>();
    return {
      started: (input) => {
        if (scope.kind === 'Execution') return this.write(1); // ExecutionStarted
        // An iteration writes MapIterationStarted. A branch writes no event of its own (its states do), but
        // its input is the Parallel's effective input.
        const subject = scope.kind === 'Map' ? 'produced an iteration input' : 'has an input';
        if (!this.payloadFits(input, tooLarge(`The state/task '${scope.parent}' ${subject}`))) return;
        if (scope.kind === 'Map') this.write(1);
      },
      ended: (outcome) => {
        if (scope.kind === 'Execution') return this.end();
        // MapIterationSucceeded/Failed. (An iteration stopped because its Map failed, MapIterationAborted in
        // AWS, is not counted: the execution is failing anyway.)
        if (scope.kind === 'Map' && (outcome === 'Succeeded' || outcome === 'Failed')) this.write(1);
      },
      // Map and Parallel write <Type>StateEntered, then <Type>StateStarted.
      stateEntered: (_name, type) => this.write(type === 'Map' || type === 'Parallel' ? 2 : 1),
      // A Task's failed attempt (TaskFailed/TaskTimedOut) and a Map's or Parallel's <Type>StateFailed; other
      // states fail straight into ExecutionFailed. Task attempts' Scheduled/Started come from `taskStarted`.
      stateFailed: (_name, type) => this.write(WRITES_OUTCOME.has(type) ? 1 : 0),
      stateCaught: (name) => void caught.add(name),
      stateExited: (name, type, output) => {
        if (!this.payloadFits(output, tooLarge(`The state/task '${name}' returned a result`))) return;
        this.write(WRITES_OUTCOME.has(type) && !caught.delete(name) ? 2 : 1);
      },
    };
  }

  /**
   * A Lambda task attempt about to invoke its function with `parameters`: TaskScheduled and TaskStarted.
   * @throws ExecutionLimitError when the run already broke a limit, or this attempt breaks one
   */
  taskStarted(stateName: string, parameters: unknown): void {
    this.throwIfFailed();
    this.payloadFits(parameters, tooLarge(`The state/task '${stateName}' has parameters`));
    this.write(2);
    this.throwIfFailed();
  }

  /**
   * A Lambda task's result as Step Functions receives it.
   * @throws ExecutionLimitError when it is larger than 256 KiB
   */
  taskResult(result: unknown): void {
    this.throwIfFailed();
    const bytes = payloadBytes(result);
    this.largestPayload = Math.max(this.largestPayload, bytes);
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.write(1); // TaskFailed
      this.payloadFits(result, tooLarge("The state/task 'lambda' returned a result"));
    }
    this.throwIfFailed();
  }

  /** Writes `count` events of a live execution; the last slot belongs to its outcome, so reaching it fails the run. */
  private write(count: number): void {
    if (this.limitError) return;
    if (this.events + count > this.maxEvents - 1) {
      // AWS writes events up to the 24,999th, then ExecutionFailed as the 25,000th.
      this.events = this.maxEvents - 1;
      this.fail(
        new ExecutionLimitError('States.Runtime', `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`),
      );
      return;
    }
    this.events += count;
  }

  /** False (and the run failed) when `value` is over 256 KiB or the run already broke a limit. */
  private payloadFits(value: unknown, cause: string): boolean {
    if (this.limitError) return false;
    const bytes = payloadBytes(value);
    this.largestPayload = Math.max(this.largestPayload, bytes);
    if (bytes <= MAX_PAYLOAD_BYTES) return true;
    this.fail(new ExecutionLimitError('States.DataLimitExceeded', cause));
    return false;
  }

  private fail(error: ExecutionLimitError): void {
    this.limitError = error;
    this.events += 1; // ExecutionFailed, the history's last event
    this.executionEnded = true;
    this.onLimit();
  }

  /**
   * The execution's outcome, which always has its slot: live events stop at 24,999. (Its output is its last
   * state's, checked when that state exited.)
   */
  private end(): void {
    if (this.executionEnded) return;
    this.executionEnded = true;
    this.events += 1;
  }

  private throwIfFailed(): void {
    if (this.limitError) throw this.limitError;
  }
}

/** States.DataLimitExceeded's cause, worded as AWS words it for a state's result. */
function tooLarge(subject: string): string {
  return `${subject} with a size exceeding the maximum number of bytes service limit.`;
}

/** UTF-8 bytes of a value's JSON, as Step Functions measures payloads. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}
