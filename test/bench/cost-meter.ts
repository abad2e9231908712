/**
 * Counts what one run of a job would be billed for, as the local runtime runs it: state transitions (every state
 * entered, and every retry), Lambda requests and GB-seconds (each task's time x its function's configured memory),
 * DynamoDB request units (ReturnConsumedCapacity on every call the handlers make, which dynalite answers by
 * DynamoDB's rules), the bytes the functions log, the custom metrics they publish (EMF), and the Step Functions
 * log records. Only what happens inside a task is counted: the runtime's own reads are not the deployment's.
 */
import { createRequire } from 'node:module';
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
}

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
  private readonly starts = new Map<string, number[]>();
  private readonly gsiCounts: Map<string, number>;

  constructor(
    private readonly stack: LocalStack,
    private readonly memoryMb: ReadonlyMap<string, number>,
  ) {
    this.gsiCounts = new Map(
      stack.tables.map((table) => [table.logicalId, ((table.properties.GlobalSecondaryIndexes as unknown[]) ?? []).length]),
    );
    this.countDynamoDb();
    this.countOutput(process.stdout);
    this.countOutput(process.stderr);
  }

  /** Hooks for RunJobOptions: counts the run started with them. */
  hooksFor(definition: Record<string, unknown>) {
    const functions = taskFunctions(definition, this.stack);
    return {
      onStateChange: (change: { kind: string }) => {
        // Step Functions bills every state entered, and each retry: https://aws.amazon.com/step-functions/pricing/
        if (change.kind === 'entered' || change.kind === 'retried') this.add('stateTransitions', 1);
      },
      beforeTask: (stateName: string) => {
        this.activeTasks++;
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

  /** Lets stdout through again, for the report. */
  unmuteStdout() {
    this.stdoutMuted = false;
  }

  /** Ends the count of a run whose execution wrote `historyEvents` events. */
  finish(historyEvents: number): RunCount {
    this.add('logIngestionGb', (historyEvents * Buffer.byteLength(STATE_MACHINE_LOG_RECORD)) / 1e9);
    this.add('xrayTraces', 1);
    this.add('schedulerInvocations', 1);
    const count = { usage: { ...this.usage }, metrics: this.metrics };
    this.usage = {};
    this.metrics = new Set();
    this.starts.clear();
    return count;
  }

  private add(item: keyof Usage, amount: number) {
    this.usage[item] = (this.usage[item] ?? 0) + amount;
  }

  /** Asks DynamoDB for the capacity of every call the handlers make, and adds it up. */
  private countDynamoDb() {
    documentClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const isWrite = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(context.commandName ?? '');
        const output = result.output as { ConsumedCapacity?: unknown };
        if (this.activeTasks > 0) this.addCapacity(output.ConsumedCapacity, isWrite);
        return result;
      },
      { step: 'initialize', name: 'costMeterConsumedCapacity' },
    );
  }

  private addCapacity(consumed: unknown, isWrite: boolean) {
    const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { TableName: string; CapacityUnits?: number }[];
    for (const { TableName, CapacityUnits = 0 } of entries) {
      // dynalite reports a write's units for the table alone; each index the item is in pays as much again, counted
      // here for every index of the table (an upper bound: a sparse index the item is not in costs nothing).
      if (isWrite) this.add('dynamoWriteUnits', CapacityUnits * (1 + (this.gsiCounts.get(TableName) ?? 0)));
      else this.add('dynamoReadUnits', CapacityUnits);
    }
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

/** DynamoDB's size of an item, as dynalite computes it (attribute names and values, by DynamoDB's rules). */
export const itemSize = (createRequire(import.meta.url)('dynalite/db') as { itemSize(item: unknown): number }).itemSize;
