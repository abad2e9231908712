import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExecuteOptions, executeDefinition, type StateChange } from '../../../lib/local/execute.ts';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../../../lib/local/execution-history.ts';
import type { LocalStack } from '../../../lib/local/template.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { namedError } from '../../support/local-runtime.ts';

// One Lambda function whose handler returns its event: small definitions built here invoke it.
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-execute-'));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
const echoEntry = path.join(directory, 'echo.mjs');
fs.writeFileSync(echoEntry, 'export const handler = async (event) => event;\n');
// One that returns its event too, and keeps a weak reference to it, which a test reads by importing it.
const rememberEntry = path.join(directory, 'remember.mjs');
fs.writeFileSync(
  rememberEntry,
  'export const returned = [];\nexport const handler = async (event) => (returned.push(new WeakRef(event)), event);\n',
);
const stack: LocalStack = {
  stateMachines: new Map(),
  functions: new Map([
    [
      'Echo',
      {
        logicalId: 'Echo',
        arn: 'arn:aws:lambda:local-1:000000000000:function:Echo',
        entry: path.relative(PROJECT_ROOT, echoEntry),
        environment: {},
      },
    ],
    [
      'Remember',
      {
        logicalId: 'Remember',
        arn: 'arn:aws:lambda:local-1:000000000000:function:Remember',
        entry: path.relative(PROJECT_ROOT, rememberEntry),
        environment: {},
      },
    ],
  ]),
  tables: [],
  statusRules: [],
};

type States = Record<string, Record<string, unknown>>;

const echo = (next: string | undefined, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'Echo', 'Payload.$': '$' },
  OutputPath: '$.Payload',
  ...(next ? { Next: next } : { End: true }),
  ...extra,
});
const pass = (next?: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Pass',
  ...(next ? { Next: next } : { End: true }),
  ...extra,
});
/** A Map over `$.items` whose iterations run one Pass state. */
const mapOfPasses = (next?: string) => ({
  Type: 'Map',
  ItemsPath: '$.items',
  MaxConcurrency: 40,
  ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: pass(undefined, { Result: 'done' }) } },
  ResultPath: null,
  ...(next ? { Next: next } : { End: true }),
});
const catchAll = (next: string) => ({ Catch: [{ ErrorEquals: ['States.ALL'], Next: next, ResultPath: '$.error' }] });

async function execute(startAt: string, states: States, input: Record<string, unknown> = {}, options: Partial<ExecuteOptions> = {}) {
  return executeDefinition(stack, { StartAt: startAt, States: states }, input, {
    stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:Test',
    name: 'test',
    retryIntervalMs: 0,
    ...options,
  });
}

/** `count` items for `mapOfPasses`: each iteration writes 4 events (IterationStarted/Succeeded, its Pass's 2). */
const items = (count: number) => ({ items: Array.from({ length: count }, (_, i) => i) });

interface HistoryEdge {
  readonly title: string;
  readonly states: States;
  readonly input: Record<string, unknown>;
  /** How the execution ends, and how many task attempts invoked the function. */
  readonly expected: { status: string; error?: string; cause?: string; historyEventCount: number; invocations: number };
}

const LIMIT_CAUSE = 'The execution reached the maximum number of history events (25000).';

/**
 * Executions at the edges of the 25,000-event history. A Map of Passes writes thousands of events through
 * the runtime's nested event logs right before a task, so the task is gated on a history that must be current.
 */
const HISTORY_EDGES: HistoryEdge[] = [
  {
    title: 'lets an execution of exactly 25,000 events succeed',
    // ExecutionStarted + Pass (2) + Map (4) + 6,248 iterations × 4 + ExecutionSucceeded = 25,000
    states: { First: pass('Each'), Each: mapOfPasses() },
    input: items(6_248),
    expected: { status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS, invocations: 0 },
  },
  {
    title: 'lets an execution whose last task ends at exactly 25,000 events succeed',
    // ExecutionStarted + Task (5) + Map (4) + 6,246 iterations × 4 + Task (5) + ExecutionSucceeded = 25,000
    states: { First: echo('Each'), Each: mapOfPasses('Last'), Last: echo(undefined) },
    input: items(6_246),
    expected: { status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS, invocations: 2 },
  },
  {
    title: 'fails an execution that would write a 25,001st event, as Step Functions does (States.Runtime), before the next task',
    // ExecutionStarted + Task (5) + Pass (2) + Map (4) + 6,247 iterations × 4 = 25,000 live events: the Map's
    // last one is already past the 24,999 that leave room for ExecutionFailed, so the next task is never invoked.
    states: { First: echo('Second'), Second: pass('Each'), Each: mapOfPasses('Last'), Last: echo(undefined) },
    input: items(6_247),
    expected: { status: 'FAILED', error: 'States.Runtime', cause: LIMIT_CAUSE, historyEventCount: MAX_HISTORY_EVENTS, invocations: 1 },
  },
  {
    title: 'invokes a task whose TaskStarted is the 24,999th event, then fails the execution on its TaskSucceeded',
    // ExecutionStarted + Task (5) + Pass (2) + Map (4) + 6,246 iterations × 4 + TaskStateEntered = 24,997
    states: { First: echo('Second'), Second: pass('Each'), Each: mapOfPasses('Last'), Last: echo(undefined) },
    input: items(6_246),
    expected: { status: 'FAILED', error: 'States.Runtime', cause: LIMIT_CAUSE, historyEventCount: MAX_HISTORY_EVENTS, invocations: 2 },
  },
  {
    title: 'never invokes a task whose TaskStarted would be the 25,000th event',
    // ExecutionStarted + 2 Tasks (10) + Pass (2) + Map (4) + 6,245 iterations × 4 + TaskStateEntered = 24,998
    states: { First: echo('Second'), Second: echo('Third'), Third: pass('Each'), Each: mapOfPasses('Last'), Last: echo(undefined) },
    input: items(6_245),
    expected: { status: 'FAILED', error: 'States.Runtime', cause: LIMIT_CAUSE, historyEventCount: MAX_HISTORY_EVENTS, invocations: 2 },
  },
];

/** Runs an edge case; `beforeTask` runs before each invocation, which it counts. */
async function runEdge(edge: HistoryEdge, beforeTask: () => Promise<void> | void = () => undefined) {
  let invocations = 0;
  const [startAt] = Object.keys(edge.states);
  const result = await execute(startAt!, edge.states, edge.input, {
    beforeTask: async () => {
      invocations++;
      await beforeTask();
    },
  });
  const { status, error, cause, historyEventCount } = result;
  return { status, error, cause, historyEventCount, invocations };
}

/** A function that takes 0 to 5 ms, so concurrent executions interleave differently on every run. */
const busyTask = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 5));

/**
 * Keeps the event loop busy until the returned function is called: macrotasks (timers and immediates)
 * that each block the thread for 2 ms, as CPU-heavy work sharing the process would.
 */
function keepEventLoopBusy(): () => void {
  let busy = true;
  const block = () => {
    const until = performance.now() + 2;
    while (performance.now() < until);
  };
  const spinImmediate = () => {
    block();
    if (busy) setImmediate(spinImmediate);
  };
  const spinTimer = () => {
    block();
    if (busy) setTimeout(spinTimer, 0);
  };
  spinImmediate();
  spinTimer();
  return () => {
    busy = false;
  };
}

/** A Parallel state whose output (a one-element array holding a string) is exactly `bytes` long, with a Catch. */
function parallelWithOutputOf(bytes: number): States {
  const text = 'x'.repeat(bytes - '[""]'.length);
  return {
    Big: {
      Type: 'Parallel',
      Branches: [{ StartAt: 'Make', States: { Make: pass(undefined, { Result: text }) } }],
      ...catchAll('Handled'),
      Next: 'Done',
    },
    Handled: pass('Done'),
    Done: { Type: 'Succeed' },
  };
}

describe('the execution history limit', () => {
  it('counts the events Step Functions writes for each state type, retries and catches', async () => {
    const result = await execute(
      'Flaky',
      {
        Flaky: echo('Which?', { Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2 }] }),
        'Which?': { Type: 'Choice', Choices: [{ Variable: '$.items', IsPresent: true, Next: 'Pause' }], Default: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 0, Next: 'Both' },
        Both: {
          Type: 'Parallel',
          Branches: ['A', 'B'].map((name) => ({ StartAt: name, States: { [name]: pass() } })),
          ResultPath: null,
          Next: 'Each',
        },
        Each: mapOfPasses('Broken'),
        Broken: echo('Recover', catchAll('Recover')),
        Recover: pass('Done'),
        Done: { Type: 'Succeed' },
      },
      { items: [1, 2] },
      {
        beforeTask: (state, attempt) => {
          if (state === 'Flaky' && attempt === 1) throw namedError('TransientError');
          if (state === 'Broken') throw namedError('InvalidDataError');
        },
      },
    );

    expect(result.status).toBe('SUCCEEDED');
    const execution = 2; // ExecutionStarted, ExecutionSucceeded
    const flaky = 1 + 3 + 3 + 1; // Entered; Scheduled, Started, Failed; Scheduled, Started, Succeeded; Exited
    const choice = 2;
    const wait = 2;
    const parallel = 4 + 2 * 2; // Entered, Started, Succeeded, Exited; each branch's Pass
    const map = 4 + 2 * (2 + 2); // Entered, Started, Succeeded, Exited; per item IterationStarted/Succeeded and its Pass
    const caught = 1 + 3 + 1; // Entered; Scheduled, Started, Failed; Exited (no Succeeded)
    const passAndSucceed = 2 + 2;
    expect(result.historyEventCount).toBe(execution + flaky + choice + wait + parallel + map + caught + passAndSucceed);
  });

  it('counts the last events of Map iterations that end the execution, and the iteration around them', async () => {
    // Each inner iteration ends in a burst of events after its task fails (caught, then a Pass), while the
    // iteration around it and the execution end right after the inner Map.
    const inner = {
      Type: 'Map',
      ItemsPath: '$.inner',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Call',
        States: { Call: echo('Done', catchAll('Done')), Done: pass() },
      },
      ResultPath: null,
      End: true,
    };
    const result = await execute(
      'Outer',
      {
        Outer: {
          Type: 'Map',
          ItemsPath: '$.outer',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Inner', States: { Inner: inner } },
          ResultPath: null,
          End: true,
        },
      },
      { outer: [{ inner: [{}, {}, {}] }] },
      { beforeTask: () => new Promise((_, reject) => setImmediate(() => reject(namedError('InvalidDataError')))) },
    );

    expect(result.status).toBe('SUCCEEDED');
    const execution = 2;
    const outer = 4 + 2; // Entered, Started, Succeeded, Exited; its one iteration's Started/Succeeded
    const innerMap = 4;
    const innerIteration = 2 + 5 + 2; // Started/Succeeded; Call caught (Entered; Scheduled, Started, Failed; Exited); Done
    expect(result.historyEventCount).toBe(execution + outer + innerMap + 3 * innerIteration);
  });

  for (const edge of HISTORY_EDGES) {
    it(edge.title, async () => {
      expect(await runEdge(edge)).toEqual(edge.expected);
    });
  }

  it('ends every edge case exactly as alone while the event loop is kept busy and 10 executions share it', async () => {
    const stop = keepEventLoopBusy();
    const outcomes = await Promise.all(HISTORY_EDGES.flatMap((edge) => [runEdge(edge, busyTask), runEdge(edge, busyTask)])).finally(stop);

    expect(outcomes).toEqual(HISTORY_EDGES.flatMap((edge) => [edge.expected, edge.expected]));
  });
});

describe('the 256 KiB payload limit', () => {
  it('passes a state output of exactly 262,144 bytes', async () => {
    const result = await execute('Big', parallelWithOutputOf(MAX_PAYLOAD_BYTES));

    expect(result.status).toBe('SUCCEEDED');
    expect(Buffer.byteLength(JSON.stringify(result.output))).toBe(MAX_PAYLOAD_BYTES);
  });

  it('fails the execution on a state output of 262,145 bytes, though the state catches States.ALL', async () => {
    const states: string[] = [];
    const result = await execute('Big', parallelWithOutputOf(MAX_PAYLOAD_BYTES + 1), {}, { onStateEvent: (line) => states.push(line) });

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "The state/task 'Big' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
    expect(states).not.toContain('→ Handled');
  });

  it('fails the execution on task parameters over 256 KiB without invoking the function, though the task catches States.ALL', async () => {
    let invoked = false;
    // The input fits; the parameters hold it twice.
    const result = await execute(
      'Send',
      {
        Send: echo('Done', {
          Parameters: { FunctionName: 'Echo', Payload: { 'text.$': '$.text', 'again.$': '$.text' } },
          ...catchAll('Done'),
        }),
        Done: { Type: 'Succeed' },
      },
      { text: 'x'.repeat(150_000) },
      {
        beforeTask: () => {
          invoked = true;
        },
      },
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(invoked).toBe(false);
  });

  it("fails the execution on a result over 256 KiB with Lambda's response metadata, though the task catches States.ALL", async () => {
    // The payload alone fits; Lambda's response metadata around it does not.
    const payload = 'x'.repeat(MAX_PAYLOAD_BYTES - 100);
    const result = await execute(
      'Fetch',
      {
        // The selector would keep the state's output small: the limit applies to the result itself.
        Fetch: echo('Done', {
          Parameters: { FunctionName: 'Echo', 'Payload.$': '$.payload' },
          ResultSelector: { received: true },
          OutputPath: '$',
          ...catchAll('Done'),
        }),
        Done: { Type: 'Succeed' },
      },
      { payload },
    );

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
  });

  it('refuses to start an execution whose input is over 256 KiB, as StartExecution does', async () => {
    await expect(execute('Done', { Done: { Type: 'Succeed' } }, { pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })).rejects.toThrow(
      /StartExecution refused/,
    );
  });
});

describe('Lambda task errors', () => {
  it('reach Step Functions as AWS shapes them: the error type as Error, the runtime JSON as Cause', async () => {
    const result = await execute(
      'Call',
      { Call: echo('Handled', catchAll('Handled')), Handled: pass() },
      {},
      {
        beforeTask: () => {
          throw namedError('ConfigError', 'retention.logDays "abc" is not a number');
        },
      },
    );

    const { error } = result.output as { error: { Error: string; Cause: string } };
    expect(error.Error).toBe('ConfigError');
    const cause = JSON.parse(error.Cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(cause).toMatchObject({ errorType: 'ConfigError', errorMessage: 'retention.logDays "abc" is not a number' });
    expect(cause.trace[0]).toBe('ConfigError: retention.logDays "abc" is not a number');
  });

  it("keep a Lambda service error's plain-text cause", async () => {
    const result = await execute(
      'Call',
      { Call: echo('Handled', catchAll('Handled')), Handled: pass() },
      {},
      {
        beforeTask: () => {
          throw namedError('Lambda.ServiceException', 'Lambda was unavailable');
        },
      },
    );

    expect((result.output as { error: unknown }).error).toEqual({ Error: 'Lambda.ServiceException', Cause: 'Lambda was unavailable' });
  });
});

describe('an execution that times out', () => {
  it('resolves only after the task invocation it left running has returned, and schedules nothing after it', async () => {
    const invoked: string[] = [];
    const result = await executeDefinition(
      stack,
      { StartAt: 'Slow', TimeoutSeconds: 1, States: { Slow: echo('After'), After: echo(undefined) } },
      {},
      {
        stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:Test',
        name: 'test',
        beforeTask: async (state) => {
          if (state === 'Slow') await new Promise((resolve) => setTimeout(resolve, 1_500));
          invoked.push(state);
        },
      },
    );

    expect(result.status).toBe('TIMED_OUT');
    expect(invoked).toEqual(['Slow']);
  });
});

describe('the runtime around aws-local-stepfunctions', () => {
  it("keeps no state's payload once the execution has moved past it (a 1,000-project run would hold every one)", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let returned: WeakRef<object> | undefined;
    let collected: boolean | undefined;

    const result = await execute(
      'Fetch',
      {
        Fetch: echo('Forget', { Parameters: { FunctionName: 'Remember', 'Payload.$': '$' } }),
        Forget: pass('Check', { Result: {} }),
        Check: echo(undefined),
      },
      { pad: 'x'.repeat(1_000) },
      {
        beforeTask: async (state) => {
          if (state !== 'Check') return;
          // A weak reference's target is kept until the job that made it ends.
          await new Promise((resolve) => setImmediate(resolve));
          returned = ((await import(pathToFileURL(rememberEntry).href)) as { returned: WeakRef<object>[] }).returned.at(-1);
          gc();
          collected = returned?.deref() === undefined;
        },
      },
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(returned).toBeDefined();
    expect(collected).toBe(true);
  });

  it('counts each event once when the process evaluates this module again, all evaluations sharing one patch of the library', async () => {
    // The library's internal method the runtime wraps.
    const patchedExecute = () => (StateMachine.prototype as unknown as { execute: unknown }).execute;
    const patched = patchedExecute();
    const states = { First: pass('Each'), Each: mapOfPasses() };
    // A query makes it another module to the runner: evaluated again, while aws-local-stepfunctions is shared.
    const module = '../../../lib/local/execute.ts';
    const again = (await import(`${module}?again`)) as typeof import('../../../lib/local/execute.ts');

    const first = await execute('First', states, items(3));
    const second = await again.executeDefinition(stack, { StartAt: 'First', States: states }, items(3), {
      stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:Test',
      name: 'again',
    });

    // ExecutionStarted/Succeeded, the Pass (2), the Map (4), 3 iterations × 4.
    expect([first.historyEventCount, second.historyEventCount]).toEqual([20, 20]);
    expect(patchedExecute()).toBe(patched);
  });

  it('fails the run itself, not the state, when following it fails in a Map iteration: no Catch of States.ALL takes it', async () => {
    const entered: string[] = [];
    const broken = new Error('the listener broke');
    const states = { Each: { ...mapOfPasses('Done'), ...catchAll('Handled') }, Handled: pass('Done'), Done: { Type: 'Succeed' } };

    const run = execute('Each', states, items(3), {
      onStateEvent: (line) => {
        if (line === '→ Item') throw broken;
        entered.push(line);
      },
    });

    await expect(run).rejects.toMatchObject({
      message: 'the local runtime lost track of execution test: the listener broke',
      cause: broken,
    });
    expect(entered).toEqual(['→ Each']);
  });
});

describe('executeDefinition state changes', () => {
  it("reports each machine's start and end, numbered, and a Map's item count, as data beside the lines", async () => {
    const changes: StateChange[] = [];
    const lines: string[] = [];

    const outcome = await execute('Each', { Each: mapOfPasses('Done'), Done: { Type: 'Succeed' } }, items(2), {
      onStateChange: (change) => changes.push(change),
      onStateEvent: (line) => lines.push(line),
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(lines).toEqual(['→ Each', '→ Item', '→ Item', '→ Done']);
    const execution = { kind: 'Execution' };
    const iteration = { kind: 'Map', parent: 'Each' };
    expect(changes.filter((change) => change.machine === 0)).toEqual([
      { kind: 'started', machine: 0, scope: execution, input: items(2) },
      { kind: 'entered', machine: 0, scope: execution, state: 'Each', type: 'Map', items: 2 },
      { kind: 'entered', machine: 0, scope: execution, state: 'Done', type: 'Succeed' },
      { kind: 'ended', machine: 0, scope: execution, outcome: 'Succeeded' },
    ]);
    // Each iteration is a machine of its own, started with its item and ended once its state has run.
    for (const machine of [1, 2]) {
      expect(changes.filter((change) => change.machine === machine)).toEqual([
        { kind: 'started', machine, scope: iteration, input: expect.any(Number) },
        { kind: 'entered', machine, scope: iteration, state: 'Item', type: 'Pass' },
        { kind: 'ended', machine, scope: iteration, outcome: 'Succeeded' },
      ]);
    }
  });
});
