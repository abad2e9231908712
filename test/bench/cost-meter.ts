/**
 * Counts what one run of a job would be billed for, as the local runtime runs it: state transitions (every state
 * entered, and every retry; one for each child execution a Distributed Map starts), Express child executions
 * (requests and GB-seconds), Lambda requests and GB-seconds (each task's time x its function's configured memory),
 * DynamoDB request units (ReturnConsumedCapacity on every call the handlers make, which dynalite answers by
 * DynamoDB's rules for the table; each index write worked out from the item before and after), the bytes the
 * functions log, the custom metrics they publish (EMF), and the Step Functions log records. Only what happens
 * inside a task is counted: the runtime's own reads are not the deployment's.
 */
import { createRequire } from 'node:module';
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { StateChange } from '../../lib/local/execute.ts';
import type { CfnTemplate } from '../../lib/local/template.ts';
import { functionOf, type LocalStack } from '../../lib/local/template.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import type { Usage } from './cost-model.ts';

/**
 * Lambda writes START, END and REPORT lines for each invocation (REPORT with the X-Ray trace id): about 400 bytes,
 * from the format at https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html (an estimate, not counted).
 */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 400;

/**
 * One record of a state machine's log at Level ALL without execution data, as Step Functions writes one per
 * history event (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); its size stands for each.
 */
const STATE_MACHINE_LOG_RECORD = JSON.stringify({
  id: '12',
  type: 'TaskStateEntered',
  details: { name: 'Compute Project Metrics' },
  previous_event_id: '11',
  event_timestamp: '1764554400000',
  execution_arn:
    'arn:aws:states:us-east-1:123456789012:execution:DailySyncJobStateMachine393F1367-AbCdEfGhIjKl:daily_sync-2026-12-01T0200Z-a1b2c3',
  redrive_count: '0',
});

/**
 * An Express execution's billed memory: 50 MB plus its definition and its data, in 64 MB chunks
 * (https://aws.amazon.com/step-functions/pricing/, pricing examples 3 and 4). A child's definition and its
 * input (a batch of project ids) are a few KB, so one chunk.
 */
const EXPRESS_BILLED_MEMORY_GB = 64 / 1024;
/**
 * The history events an Express child's log gets, which its parent's execution history does not count: Entered and
 * Exited for each state, Scheduled, Started and Succeeded (or Failed) for each Lambda task, and the execution's
 * Started and Succeeded. They are logged at the parent's level (ALL): an assumption that errs towards cost.
 */
const EXPRESS_EVENTS = { perState: 2, perTask: 3, perExecution: 2 } as const;
/** Express duration is rounded up to the next 100 ms (https://aws.amazon.com/step-functions/pricing/). */
const EXPRESS_BILLING_STEP_MS = 100;

type Item = Record<string, AttributeValue>;

/** A global secondary index as a write to it is billed: its keys and what it projects. */
interface IndexSpec {
  readonly name: string;
  readonly keys: readonly string[];
  /** The attributes an entry holds besides the keys; undefined when it projects ALL. */
  readonly projected?: readonly string[];
}

export interface TableSpec {
  readonly keys: readonly string[];
  readonly indexes: readonly IndexSpec[];
}

/** A custom metric, as CloudWatch bills it: a namespace, a name and one set of dimension values. */
type MetricIdentity = string;

interface EmfDocument {
  readonly _aws?: { readonly CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  readonly [dimension: string]: unknown;
}

/** What a job's run was counted to use, before pricing. */
export interface RunCount {
  readonly usage: Usage;
  /** Custom metrics the run published (namespace, name, dimensions). */
  readonly metrics: ReadonlySet<MetricIdentity>;
  /** Write request units by table and by `table/index`. */
  readonly writesByTarget: ReadonlyMap<string, number>;
}

/** The tables' keys and indexes, from their CloudFormation properties. */
export function tableSpecs(stack: LocalStack): Map<string, TableSpec> {
  type KeySchema = { AttributeName: string }[];
  type Index = { IndexName: string; KeySchema: KeySchema; Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] } };
  const names = (schema: KeySchema) => schema.map(({ AttributeName }) => AttributeName);
  return new Map(
    stack.tables.map(({ logicalId, properties }) => {
      const keys = names(properties.KeySchema as KeySchema);
      const indexes = ((properties.GlobalSecondaryIndexes as Index[] | undefined) ?? []).map((index) => ({
        name: index.IndexName,
        keys: names(index.KeySchema),
        projected: index.Projection?.ProjectionType === 'ALL' ? undefined : (index.Projection?.NonKeyAttributes ?? []),
      }));
      return [logicalId, { keys, indexes }];
    }),
  );
}

/** The items a write command touches, by table: the key of each Put, Update and Delete. */
function writtenKeys(input: Record<string, unknown>, specs: ReadonlyMap<string, TableSpec>): { table: string; key: Item }[] {
  type Request = { TableName?: string; Item?: Record<string, unknown>; Key?: Record<string, unknown> };
  const keyOf = (table: string, request: Request) => {
    const source = request.Key ?? request.Item ?? {};
    const key = Object.fromEntries((specs.get(table)?.keys ?? []).map((name) => [name, source[name]]));
    // A document client's command carries plain values until it is marshalled, after this middleware; keys are S or N.
    const marshalled = Object.entries(key).map(([name, value]) => [
      name,
      typeof value === 'object' ? value : typeof value === 'number' ? { N: String(value) } : { S: value },
    ]);
    return { table, key: Object.fromEntries(marshalled) as Item };
  };
  if (input.TransactItems) {
    return (input.TransactItems as Record<string, Request>[]).flatMap((entry) =>
      (['Put', 'Update', 'Delete'] as const).flatMap((kind) => (entry[kind] ? [keyOf(entry[kind].TableName!, entry[kind])] : [])),
    );
  }
  if (input.RequestItems) {
    return Object.entries(input.RequestItems as Record<string, { PutRequest?: Request; DeleteRequest?: Request }[]>).flatMap(
      ([table, requests]) => requests.map((request) => keyOf(table, request.PutRequest ?? request.DeleteRequest ?? {})),
    );
  }
  return [keyOf(input.TableName as string, input as Request)];
}

/** What an index entry of `item` holds (its keys, the table's and what it projects), or undefined when the item is not in it. */
export function indexEntry(item: Item | undefined, index: IndexSpec, tableKeys: readonly string[]): Item | undefined {
  if (!item || index.keys.some((name) => !(name in item))) return undefined;
  if (!index.projected) return item;
  const kept = new Set([...tableKeys, ...index.keys, ...index.projected]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
}

/**
 * The write units an index pays for one item changing from `before` to `after`, by DynamoDB's rules
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
 * nothing when the item is in the index neither before nor after (a sparse index) or its entry is unchanged; a put
 * when it enters or its projected attributes change; a delete when it leaves; both when its index key changes. Each
 * write is the entry's size in 1 KB units.
 */
export function indexWriteUnits(
  before: Item | undefined,
  after: Item | undefined,
  index: IndexSpec,
  tableKeys: readonly string[],
): number {
  const [old, next] = [indexEntry(before, index, tableKeys), indexEntry(after, index, tableKeys)];
  const units = (entry: Item) => Math.ceil(itemSize(entry) / 1024);
  if (!old && !next) return 0;
  if (!old) return units(next!);
  if (!next) return units(old);
  const sameKey = index.keys.every((name) => JSON.stringify(old[name]) === JSON.stringify(next[name]));
  if (!sameKey) return units(old) + units(next);
  return JSON.stringify(sortedItem(old)) === JSON.stringify(sortedItem(next)) ? 0 : units(next);
}

const sortedItem = (item: Item) => Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));

/** The memory (MB) each function of the stack is configured with, from the template. */
export function functionMemory(template: CfnTemplate): Map<string, number> {
  const memory = new Map<string, number>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    // Lambda's default when MemorySize is left out.
    memory.set(logicalId, Number(resource.Properties?.MemorySize ?? 128));
  }
  return memory;
}

/** The function each Task state of a definition invokes (Map processors and Parallel branches included). */
function taskFunctions(definition: unknown, stack: LocalStack, found = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(definition)) for (const item of definition) taskFunctions(item, stack, found);
  else if (definition !== null && typeof definition === 'object') {
    const states = (definition as { States?: Record<string, { Type?: string; Parameters?: { FunctionName?: string } }> }).States;
    for (const [name, state] of Object.entries(states ?? {})) {
      const fn = state.Type === 'Task' && state.Parameters?.FunctionName ? functionOf(stack, state.Parameters.FunctionName) : undefined;
      if (fn) found.set(name, fn.logicalId);
    }
    for (const value of Object.values(definition)) taskFunctions(value, stack, found);
  }
  return found;
}

/** Counts one run at a time; install once per process, before the first run. */
export class CostMeter {
  private usage: Record<string, number> = {};
  private metrics = new Set<MetricIdentity>();
  private activeTasks = 0;
  /** Until the report, the functions' lines on stdout are counted (within a task) and dropped, not shown. */
  private stdoutMuted = true;
  private writesByTarget = new Map<string, number>();
  private readonly starts = new Map<string, number[]>();
  /** Start times of the Express child executions running now. */
  private expressStarts: number[] = [];
  private openExecutions = 0;
  private readonly tables: Map<string, TableSpec>;
  /** Reads the items before and after a write, outside the count (its own client, without the middleware). */
  private readonly imageReader = new DynamoDBClient({});

  constructor(
    private readonly stack: LocalStack,
    private readonly memoryMb: ReadonlyMap<string, number>,
  ) {
    this.tables = tableSpecs(stack);
    this.countDynamoDb();
    this.countOutput(process.stdout);
    this.countOutput(process.stderr);
  }

  /** Hooks for RunJobOptions: counts the run started with them. */
  hooksFor(definition: Record<string, unknown>) {
    const functions = taskFunctions(definition, this.stack);
    const expressStates = expressChildStates(definition);
    return {
      onStateChange: (change: StateChange) => {
        if (change.kind === 'started' || change.kind === 'ended') {
          if (change.machine === 0 && change.scope.kind === 'Execution') this.countExecution(change.kind, expressStates.size > 0);
          return;
        }
        // Step Functions bills every state entered, and each retry: https://aws.amazon.com/step-functions/pricing/.
        // An Express execution's states are not transitions: it is billed by request and duration.
        const billed = change.kind === 'entered' || change.kind === 'retried';
        if (billed && !expressStates.has(change.state)) this.add('stateTransitions', 1);
        if (change.kind === 'entered' && expressStates.has(change.state)) this.addStateMachineLogRecords(EXPRESS_EVENTS.perState);
      },
      beforeTask: (stateName: string) => {
        this.activeTasks++;
        if (expressStates.has(stateName)) this.addStateMachineLogRecords(EXPRESS_EVENTS.perTask);
        this.add('lambdaRequests', 1);
        // A function that reads a secret calls Secrets Manager at most once an invocation (tokens are kept 5 minutes).
        const fn = this.stack.functions.get(functions.get(stateName) ?? '');
        if (Object.keys(fn?.environment ?? {}).some((name) => name.endsWith('_SECRET'))) this.add('secretCalls', 1);
        this.add('logIngestionGb', PLATFORM_LOG_BYTES_PER_INVOCATION / 1e9);
        const starts = this.starts.get(stateName) ?? [];
        starts.push(performance.now());
        this.starts.set(stateName, starts);
      },
      afterTask: (stateName: string) => {
        this.activeTasks--;
        // Concurrent invocations of one state may end in any order; the sum of their times does not depend on it.
        const started = this.starts.get(stateName)?.shift();
        const logicalId = functions.get(stateName);
        if (started === undefined || !logicalId) throw new Error(`no start counted for the task "${stateName}"`);
        const billedMs = Math.ceil(performance.now() - started);
        this.add('lambdaArmGbSeconds', (billedMs / 1000) * ((this.memoryMb.get(logicalId) ?? 128) / 1024));
      },
    };
  }

  /**
   * The run's execution starts first; each one starting while it runs is a Distributed Map's child, which costs
   * the parent one state transition (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html)
   * and, when Express, a request and its duration x its billed memory.
   */
  private countExecution(kind: 'started' | 'ended', childrenAreExpress: boolean) {
    const isChild = kind === 'started' ? this.openExecutions > 0 : this.openExecutions > 1;
    this.openExecutions += kind === 'started' ? 1 : -1;
    if (!isChild) return;
    if (kind === 'started') this.add('stateTransitions', 1);
    if (!childrenAreExpress) return;
    this.addStateMachineLogRecords(EXPRESS_EVENTS.perExecution / 2);
    if (kind === 'started') {
      this.add('expressRequests', 1);
      this.expressStarts.push(performance.now());
      return;
    }
    // Children end in any order; the sum of their times does not depend on which start is paired with which end.
    const elapsed = performance.now() - this.expressStarts.shift()!;
    const billedMs = Math.ceil(elapsed / EXPRESS_BILLING_STEP_MS) * EXPRESS_BILLING_STEP_MS;
    this.add('expressGbSeconds', (billedMs / 1000) * EXPRESS_BILLED_MEMORY_GB);
  }

  private addStateMachineLogRecords(records: number) {
    this.add('logIngestionGb', (records * Buffer.byteLength(STATE_MACHINE_LOG_RECORD)) / 1e9);
  }

  /** Lets stdout through again, for the report. */
  unmuteStdout() {
    this.stdoutMuted = false;
  }

  /** Ends the count of a run whose execution wrote `historyEvents` events. */
  finish(historyEvents: number): RunCount {
    this.addStateMachineLogRecords(historyEvents);
    this.add('xrayTraces', 1);
    this.add('schedulerInvocations', 1);
    const count = { usage: { ...this.usage }, metrics: this.metrics, writesByTarget: this.writesByTarget };
    this.usage = {};
    this.metrics = new Set();
    this.writesByTarget = new Map();
    this.starts.clear();
    this.expressStarts = [];
    this.openExecutions = 0;
    return count;
  }

  private add(item: keyof Usage, amount: number) {
    this.usage[item] = (this.usage[item] ?? 0) + amount;
  }

  /**
   * Asks DynamoDB for the capacity of every call the handlers make, and adds it up. For a write, dynalite answers the
   * table's units; what each index pays is worked out from the items before and after it (indexWriteUnits).
   */
  private countDynamoDb() {
    documentClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown> & { ReturnConsumedCapacity?: string };
        input.ReturnConsumedCapacity = 'TOTAL';
        const isWrite = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(context.commandName ?? '');
        const counted = this.activeTasks > 0;
        const written = counted && isWrite ? writtenKeys(input, this.tables) : [];
        const before = await this.readImages(written);
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: unknown };
        if (counted) this.addCapacity(output.ConsumedCapacity, isWrite);
        if (written.length > 0) this.addIndexWrites(written, before, await this.readImages(written));
        return result;
      },
      { step: 'initialize', name: 'costMeterConsumedCapacity' },
    );
  }

  private readImages(keys: readonly { table: string; key: Item }[]): Promise<(Item | undefined)[]> {
    return Promise.all(
      keys.map(async ({ table, key }) => {
        const { Item } = await this.imageReader.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
        return Item;
      }),
    );
  }

  private addIndexWrites(written: readonly { table: string }[], before: (Item | undefined)[], after: (Item | undefined)[]) {
    written.forEach(({ table }, i) => {
      const spec = this.tables.get(table);
      for (const index of spec?.indexes ?? []) {
        const units = indexWriteUnits(before[i], after[i], index, spec!.keys);
        this.add('dynamoWriteUnits', units);
        this.addWrite(`${table}/${index.name}`, units);
      }
    });
  }

  private addCapacity(consumed: unknown, isWrite: boolean) {
    const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { TableName: string; CapacityUnits?: number }[];
    for (const { TableName, CapacityUnits = 0 } of entries) {
      this.add(isWrite ? 'dynamoWriteUnits' : 'dynamoReadUnits', CapacityUnits);
      if (isWrite) this.addWrite(TableName, CapacityUnits);
    }
  }

  private addWrite(target: string, units: number) {
    if (units > 0) this.writesByTarget.set(target, (this.writesByTarget.get(target) ?? 0) + units);
  }

  /** Counts the bytes functions write to their logs, and the custom metrics in the EMF documents among them. */
  private countOutput(stream: NodeJS.WriteStream) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (this.activeTasks > 0) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        this.add('logIngestionGb', Buffer.byteLength(text) / 1e9);
        for (const line of text.split('\n')) if (line.includes('"CloudWatchMetrics"')) this.addMetrics(line);
      }
      if (stream === process.stdout && this.stdoutMuted) return true;
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }

  private addMetrics(line: string) {
    const document = JSON.parse(line) as EmfDocument;
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      for (const dimensions of directive.Dimensions) {
        const values = dimensions.map((name) => `${name}=${String(document[name])}`).join(',');
        for (const { Name } of directive.Metrics) this.metrics.add(`${directive.Namespace}/${Name}{${values}}`);
      }
    }
  }
}

/** The states of the children of the definition's Distributed Maps that run them as Express executions. */
function expressChildStates(definition: unknown, found = new Set<string>(), inExpress = false): Set<string> {
  if (Array.isArray(definition)) for (const item of definition) expressChildStates(item, found, inExpress);
  else if (definition !== null && typeof definition === 'object') {
    const node = definition as { States?: Record<string, unknown>; ItemProcessor?: { ProcessorConfig?: { ExecutionType?: string } } };
    if (inExpress) for (const name of Object.keys(node.States ?? {})) found.add(name);
    for (const [field, value] of Object.entries(definition)) {
      const express = inExpress || (field === 'ItemProcessor' && node.ItemProcessor?.ProcessorConfig?.ExecutionType === 'EXPRESS');
      expressChildStates(value, found, express);
    }
  }
  return found;
}

/** DynamoDB's size of an item, as dynalite computes it (attribute names and values, by DynamoDB's rules). */
export const itemSize = (createRequire(import.meta.url)('dynalite/db') as { itemSize(item: unknown): number }).itemSize;
