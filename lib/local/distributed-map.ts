/**
 * The local runtime's Distributed Map. aws-local-stepfunctions 3 runs a Map in distributed mode inline (see
 * docs/local-runtime.md); here each such Map becomes a Task state whose handler runs the Map Run as AWS does:
 * items batched by its ItemBatcher, each batch (or item) a child execution with its own history and limits, at most
 * MaxConcurrency at once, and the run failed with States.ExceedToleratedFailureThreshold once more items failed than
 * it tolerates. The Task keeps the Map's InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch and Next.
 * Map Runs: https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * Failure threshold: https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
 * A redriven parent redrives its Map Run: only the children that failed or never ran start again, Express ones anew.
 * Redriving Map Runs: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html
 */
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ExecutionLimitError, MAX_PAYLOAD_BYTES, payloadBytes } from './execution-history.ts';

/** The resource of the Task state that stands for a Distributed Map; only its bound handler runs it. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributed-map';

/** A Distributed Map's children at once when MaxConcurrency is 0 or unset: AWS's ceiling. */
const DEFAULT_MAX_CONCURRENCY = 10_000;

/**
 * A Task without TimeoutSeconds times out after 60 s in aws-local-stepfunctions, and a Map state has no timeout of its
 * own: the longest a Node.js timer waits (2^31 - 1 ms, 24.8 days), beyond any execution's.
 */
const NO_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Redrives of one Map Run at most; past them the Map state fails with States.Runtime (a hard limit). */
export const MAX_MAP_RUN_REDRIVES = 1_000;

/** Fields of a Distributed Map the local runtime does not run: a definition using one is refused, not half run. */
const UNSUPPORTED_FIELDS = [
  'ItemReader',
  'ResultWriter',
  'Parameters',
  'MaxConcurrencyPath',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCountPath',
] as const;
const UNSUPPORTED_BATCHER_FIELDS = ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath'] as const;

/** How a child execution ended, as executeDefinition reports it. */
export interface ChildOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** A Map Run's children's type (ProcessorConfig.ExecutionType). */
export type ChildExecutionType = 'STANDARD' | 'EXPRESS';

/** Starts one child execution of `definition` named `name` and resolves with its outcome. */
export type ChildExecution = (
  definition: Record<string, unknown>,
  input: Record<string, unknown>,
  name: string,
  type: ChildExecutionType,
) => Promise<ChildOutcome>;

/** What a Map Run did, for a redrive of its execution: which children succeeded, with their outputs. */
export interface MapRunRecord {
  /** Redrives of this Map Run so far. */
  readonly redriveCount: number;
  /** The succeeded children's outputs, by their batch's (or item's) index. */
  readonly outputs: ReadonlyMap<number, unknown>;
}

/** How an execution's Distributed Maps run: what their Map Runs did before, and whether the execution has ended. */
export interface MapRunsOptions {
  /** The Map Runs of the attempt a redrive continues, by state name: each is redriven, at most once in this attempt. */
  readonly redriven?: Map<string, MapRunRecord>;
  /** Filled with this attempt's Map Runs, by state name: a later redrive continues them. */
  readonly record: Map<string, MapRunRecord>;
  /** True once the execution has ended (failed, timed out, aborted): its Map Runs start no more children. */
  readonly executionEnded: () => boolean;
}

type State = Record<string, unknown>;
interface Machine {
  readonly States: Record<string, State>;
}

interface ItemBatcher {
  readonly MaxItemsPerBatch?: number;
  readonly MaxInputBytesPerBatch?: number;
  readonly BatchInput?: Record<string, unknown>;
}

/** A Distributed Map's settings, read from its definition. */
interface MapRunSettings {
  readonly stateName: string;
  readonly label: string;
  readonly itemsPath: string;
  readonly itemSelector?: Record<string, unknown>;
  readonly itemBatcher?: ItemBatcher;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage?: number;
  readonly toleratedFailureCount?: number;
  /** The child executions' definition: the ItemProcessor without its ProcessorConfig. */
  readonly child: Record<string, unknown>;
  readonly childType: ChildExecutionType;
}

/** What the Task standing for a Distributed Map hands its handler: the Map's effective input and the context. */
interface MapRunInput {
  readonly input: unknown;
  readonly context: Record<string, unknown>;
}

/**
 * `definition` with each Distributed Map (in the execution's own machine, its Parallel branches and Inline Map
 * processors; a child execution's Maps are its own run's) replaced by a Task bound to the handler that runs it.
 * @returns the definition to run and the handlers of those Tasks, by state name
 * @throws Error when a Distributed Map uses a field the local runtime does not run
 */
export function withDistributedMaps(
  definition: Record<string, unknown>,
  runChild: ChildExecution,
  mapRuns: MapRunsOptions = { record: new Map(), executionEnded: () => false },
): { definition: Record<string, unknown>; handlers: Record<string, (input: unknown) => Promise<unknown>> } {
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const rewrite = (machine: Machine): Machine => ({
    ...machine,
    States: Object.fromEntries(
      Object.entries(machine.States).map(([name, state]) => {
        const processor = state.ItemProcessor as (Machine & { ProcessorConfig?: { Mode?: string } }) | undefined;
        if (state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
          const settings = mapRunSettings(name, state);
          handlers[name] = (input) => runMap(settings, input as MapRunInput, runChild, mapRuns);
          return [name, asTask(state)];
        }
        const branches = state.Branches as Machine[] | undefined;
        if (branches) return [name, { ...state, Branches: branches.map(rewrite) }];
        if (processor) return [name, { ...state, ItemProcessor: rewrite(processor) }];
        const iterator = state.Iterator as Machine | undefined;
        return [name, iterator ? { ...state, Iterator: rewrite(iterator) } : state];
      }),
    ),
  });
  return { definition: rewrite(definition as unknown as Machine) as unknown as Record<string, unknown>, handlers };
}

function mapRunSettings(stateName: string, state: State): MapRunSettings {
  const unsupported = [
    ...UNSUPPORTED_FIELDS.filter((field) => field in state),
    ...UNSUPPORTED_BATCHER_FIELDS.filter((field) => field in ((state.ItemBatcher as object | undefined) ?? {})),
  ];
  if (unsupported.length > 0) {
    throw new Error(`Distributed Map "${stateName}" uses ${unsupported.join(', ')}, which the local runtime does not run`);
  }
  const { ProcessorConfig: config, ...child } = state.ItemProcessor as { ProcessorConfig?: { ExecutionType?: string } };
  return {
    stateName,
    label: (state.Label as string | undefined) ?? stateName.replace(/[^\w-]/g, ''),
    itemsPath: (state.ItemsPath as string | undefined) ?? '$',
    itemSelector: state.ItemSelector as Record<string, unknown> | undefined,
    itemBatcher: state.ItemBatcher as ItemBatcher | undefined,
    maxConcurrency: (state.MaxConcurrency as number | undefined) || DEFAULT_MAX_CONCURRENCY,
    toleratedFailurePercentage: state.ToleratedFailurePercentage as number | undefined,
    toleratedFailureCount: state.ToleratedFailureCount as number | undefined,
    child,
    childType: config?.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  };
}

/** The Task that stands for a Distributed Map: what the Map reads of its input goes to the handler, with the context. */
function asTask(state: State): State {
  const kept = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];
  return {
    ...Object.fromEntries(kept.filter((field) => field in state).map((field) => [field, state[field]])),
    Type: 'Task',
    Resource: DISTRIBUTED_MAP_RESOURCE,
    Parameters: { 'input.$': '$', 'context.$': '$$' },
    TimeoutSeconds: NO_TIMEOUT_SECONDS,
  };
}

/** A Map Run's failure, as Step Functions names it: Retry and Catch match on the name. */
class MapRunError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Runs a Map Run: its children's inputs (items selected, then batched), each a child execution, at most
 * MaxConcurrency at once. Once the failed items pass the tolerated threshold, or the execution has ended, no more
 * children start, and the run fails when those running have ended. A redriven Map Run starts only the children that
 * did not succeed before, and counts only their failures against the threshold.
 * @returns the succeeded children's outputs, in their items' order
 * @throws MapRunError States.ExceedToleratedFailureThreshold, with the first failed child's error in its cause;
 * States.Runtime past {@link MAX_MAP_RUN_REDRIVES} redrives
 */
async function runMap(
  settings: MapRunSettings,
  { input, context }: MapRunInput,
  runChild: ChildExecution,
  mapRuns: MapRunsOptions,
): Promise<unknown[]> {
  const before = mapRuns.redriven?.get(settings.stateName);
  mapRuns.redriven?.delete(settings.stateName);
  const redriveCount = before ? before.redriveCount + 1 : 0;
  if (redriveCount > MAX_MAP_RUN_REDRIVES) {
    throw new MapRunError('States.Runtime', `The Map Run of ${settings.stateName} was redriven ${MAX_MAP_RUN_REDRIVES} times, its limit`);
  }
  const outputs = new Map(before?.outputs);
  mapRuns.record.set(settings.stateName, { redriveCount, outputs });
  const items = await evaluate({ 'items.$': settings.itemsPath }, input, context).then((selected) => selected.items);
  if (!Array.isArray(items)) {
    throw new MapRunError('States.Runtime', `Distributed Map "${settings.stateName}": ItemsPath ${settings.itemsPath} is not an array`);
  }
  const selected = settings.itemSelector
    ? await Promise.all(
        items.map((item, index) => evaluate(settings.itemSelector!, input, { ...context, Map: { Item: { Index: index, Value: item } } })),
      )
    : items;
  const batches = settings.itemBatcher
    ? batchesOf(selected, settings.itemBatcher, await evaluate(settings.itemBatcher.BatchInput ?? {}, input, context), settings.stateName)
    : selected.map((item) => ({ input: item, items: 1 }));

  const threshold = failureThreshold(settings, items.length);
  const pending = batches.flatMap((batch, index) => (outputs.has(index) ? [] : [{ batch, index }]));
  let failedItems = 0;
  let firstFailure: ChildOutcome | undefined;
  let next = 0;
  const worker = async () => {
    while (next < pending.length && failedItems <= threshold && !mapRuns.executionEnded()) {
      const { batch, index } = pending[next++]!;
      const outcome = await runChild(
        settings.child,
        batch.input as Record<string, unknown>,
        `${settings.label}-${index}`,
        settings.childType,
      );
      if (outcome.status === 'SUCCEEDED') {
        outputs.set(index, outcome.output);
      } else {
        failedItems += batch.items;
        firstFailure ??= outcome;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.maxConcurrency, pending.length) }, worker));
  if (failedItems > threshold) {
    const first = `${firstFailure?.error ?? firstFailure?.status}${firstFailure?.cause ? `: ${firstFailure.cause}` : ''}`;
    throw new MapRunError(
      'States.ExceedToleratedFailureThreshold',
      `The Map Run of ${settings.stateName} failed: ${failedItems} of ${items.length} item(s) failed, ` +
        `more than the tolerated ${threshold}; the first failed child: ${first}`,
    );
  }
  const results = batches.flatMap((_batch, index) => (outputs.has(index) ? [outputs.get(index)] : []));
  if (payloadBytes(results) > MAX_PAYLOAD_BYTES) {
    throw new ExecutionLimitError(
      'States.DataLimitExceeded',
      `The state/task '${settings.stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
  return results;
}

/**
 * The most items that may fail with the Map Run still succeeding: it fails when the failed items exceed
 * ToleratedFailureCount or ToleratedFailurePercentage of the items (either one); with neither, one failure fails it.
 */
export function failureThreshold(settings: Pick<MapRunSettings, 'toleratedFailureCount' | 'toleratedFailurePercentage'>, items: number) {
  const byPercentage =
    settings.toleratedFailurePercentage === undefined ? undefined : Math.floor((settings.toleratedFailurePercentage / 100) * items);
  const limits = [settings.toleratedFailureCount, byPercentage].filter((limit) => limit !== undefined);
  return limits.length === 0 ? 0 : Math.min(...limits);
}

/**
 * Child inputs `{ Items, BatchInput }` of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes (at most,
 * and by default, 256 KiB), items kept in order.
 * @throws MapRunError States.Runtime when one item alone is larger than a batch may be
 */
export function batchesOf(
  items: readonly unknown[],
  batcher: ItemBatcher,
  batchInput: Record<string, unknown>,
  stateName: string,
): { input: Record<string, unknown>; items: number }[] {
  const maxBytes = Math.min(batcher.MaxInputBytesPerBatch ?? MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES);
  const maxItems = batcher.MaxItemsPerBatch ?? Number.POSITIVE_INFINITY;
  const inputOf = (batch: unknown[]) => ({ Items: batch, ...(batcher.BatchInput ? { BatchInput: batchInput } : {}) });
  // A batch's bytes: its empty input's, each item's, and a comma between two items.
  const emptyBytes = payloadBytes(inputOf([]));
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  let currentBytes = emptyBytes;
  for (const item of items) {
    const itemBytes = payloadBytes(item);
    if (emptyBytes + itemBytes > maxBytes) {
      throw new MapRunError('States.Runtime', `Distributed Map "${stateName}": an item does not fit in a batch of ${maxBytes} bytes`);
    }
    const bytesWithItem = currentBytes + itemBytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (current.length === maxItems || bytesWithItem > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = emptyBytes;
    }
    currentBytes += itemBytes + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches.map((batch) => ({ input: inputOf(batch), items: batch.length }));
}

/** `template` (a payload template: `.$` keys, paths, intrinsic functions) evaluated as aws-local-stepfunctions evaluates one. */
async function evaluate(template: Record<string, unknown>, input: unknown, context: Record<string, unknown>) {
  const pass = { StartAt: 'Select', States: { Select: { Type: 'Pass', Parameters: template, End: true } } };
  const machine = new StateMachine(pass as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  try {
    return (await machine.run(input as never, { context: context as never }).result) as Record<string, unknown>;
  } catch (error) {
    // aws-local-stepfunctions wraps the state's error (a path that matches nothing: States.Runtime) in an ExecutionError.
    throw error instanceof ExecutionError ? error.cause : error;
  }
}
