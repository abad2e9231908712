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

/** The subset of aws-local-stepfunctions' event log this module reads. */
export interface RuntimeEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string; readonly output?: unknown };
  readonly parentState?: { readonly name: string };
  readonly index?: number;
  readonly input?: unknown;
}

/** The history AWS would hold for the run so far, fed from the runtime's event log and its task bindings. */
export class ExecutionHistory {
  /** Events written so far (AWS numbers them from 1; the last one is the execution's outcome). */
  private events = 0;
  private limitError?: ExecutionLimitError;
  /** States whose error a Catch took: they exit without a Succeeded event. Keyed by Map iteration and name. */
  private readonly caught = new Set<string>();

  /** @param onLimit called once, when a limit is broken: it must stop the run. */
  constructor(private readonly onLimit: () => void) {}

  get eventCount(): number {
    return this.events;
  }

  /** The limit the run broke, if any: the execution's error. */
  get failure(): ExecutionLimitError | undefined {
    return this.limitError;
  }

  /**
   * Records what a runtime event writes to the AWS history (0 to 2 events) and checks the payload it
   * carries. Event types: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
   */
  record(event: RuntimeEvent): void {
    if (this.limitError) return;
    const key = `${event.index ?? ''}/${event.state?.name ?? ''}`;
    switch (event.type) {
      case 'ExecutionStarted':
        return this.write(1);
      case 'StateEntered':
        // Map and Parallel write <Type>StateEntered, then <Type>StateStarted.
        return this.write(event.state!.type === 'Map' || event.state!.type === 'Parallel' ? 2 : 1);
      case 'StateCaught':
        this.caught.add(key);
        return;
      case 'StateFailed':
        // A Task's failed attempt (TaskFailed/TaskTimedOut) and a Map's or Parallel's <Type>StateFailed;
        // other states fail straight into ExecutionFailed. Task attempts' Scheduled/Started come from `taskStarted`.
        return this.write(['Task', 'Map', 'Parallel'].includes(event.state!.type) ? 1 : 0);
      case 'StateExited': {
        const { name, type, output } = event.state!;
        if (!this.payloadFits(output, tooLarge(`The state/task '${name}' returned a result`))) return;
        const succeeded = ['Task', 'Map', 'Parallel'].includes(type) && !this.caught.delete(key);
        return this.write(succeeded ? 2 : 1);
      }
      case 'MapIterationStarted':
        if (!this.payloadFits(event.input, tooLarge(`The state/task '${event.parentState!.name}' produced an iteration input`))) return;
        return this.write(1);
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return this.write(1);
      case 'ParallelBranchStarted':
        // A branch writes no event of its own (its states do), but its input is the Parallel's effective input.
        this.payloadFits(event.input, tooLarge(`The state/task '${event.parentState!.name}' has an input`));
        return;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        // The outcome always has its slot: live events stop at 24,999. (The execution's output is its
        // last state's, checked when that state exited.)
        this.events += 1;
        return;
      default:
        // ParallelBranchSucceeded/Failed, StateRetried: nothing in the AWS history.
        return;
    }
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
    if (payloadBytes(result) > MAX_PAYLOAD_BYTES) {
      this.write(1); // TaskFailed
      this.payloadFits(result, tooLarge("The state/task 'lambda' returned a result"));
    }
    this.throwIfFailed();
  }

  /** Writes `count` events of a live execution; the last slot belongs to its outcome, so reaching it fails the run. */
  private write(count: number): void {
    if (this.limitError) return;
    if (this.events + count > MAX_HISTORY_EVENTS - 1) {
      // AWS writes events up to the 24,999th, then ExecutionFailed as the 25,000th.
      this.events = MAX_HISTORY_EVENTS - 1;
      this.fail(new ExecutionLimitError('States.Runtime', `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`));
      return;
    }
    this.events += count;
  }

  /** False (and the run failed) when `value` is over 256 KiB or the run already broke a limit. */
  private payloadFits(value: unknown, cause: string): boolean {
    if (this.limitError) return false;
    if (payloadBytes(value) <= MAX_PAYLOAD_BYTES) return true;
    this.fail(new ExecutionLimitError('States.DataLimitExceeded', cause));
    return false;
  }

  private fail(error: ExecutionLimitError): void {
    this.limitError = error;
    this.events += 1; // ExecutionFailed, the history's last event
    this.onLimit();
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
