import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/constructs/job-function.ts';
import { executeDefinition, type ExecuteOptions } from '../../../lib/local/execute.ts';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../../../lib/local/execution-history.ts';
import type { LocalStack } from '../../../lib/local/template.ts';
import { namedError } from '../../support/local-runtime.ts';

// One Lambda function whose handler returns its event: small definitions built here invoke it.
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-execute-'));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
const echoEntry = path.join(directory, 'echo.mjs');
fs.writeFileSync(echoEntry, 'export const handler = async (event) => event;\n');
const stack: LocalStack = {
  stateMachines: new Map(),
  functions: new Map([
    ['Echo', { logicalId: 'Echo', arn: 'arn:aws:lambda:local-1:000000000000:function:Echo', entry: path.relative(PROJECT_ROOT, echoEntry), environment: {} }],
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
const pass = (next?: string, extra: Record<string, unknown> = {}) => ({ Type: 'Pass', ...(next ? { Next: next } : { End: true }), ...extra });
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
        Both: { Type: 'Parallel', Branches: ['A', 'B'].map((name) => ({ StartAt: name, States: { [name]: pass() } })), ResultPath: null, Next: 'Each' },
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

  it('lets an execution of exactly 25,000 events succeed', async () => {
    // ExecutionStarted + Pass (2) + Map (4) + 6,248 iterations × 4 + ExecutionSucceeded = 25,000
    const result = await execute('First', { First: pass('Each'), Each: mapOfPasses() }, { items: Array.from({ length: 6_248 }, (_, i) => i) });

    expect(result).toMatchObject({ status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS });
  });

  it('fails an execution that would write a 25,001st event, as Step Functions does (States.Runtime)', async () => {
    let invocations = 0;
    // ExecutionStarted + Task (5) + Pass (2) + Map (4) + 6,247 iterations × 4 + ExecutionSucceeded = 25,001
    const result = await execute(
      'First',
      { First: echo('Second'), Second: pass('Each'), Each: mapOfPasses('Last'), Last: echo(undefined) },
      { items: Array.from({ length: 6_247 }, (_, i) => i) },
      { beforeTask: () => void invocations++ },
    );

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
      historyEventCount: MAX_HISTORY_EVENTS,
    });
    // The history ran out inside the Map: the task after it was never invoked.
    expect(invocations).toBe(1);
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

  it("fails the execution on a task's parameters over 256 KiB without invoking the function, though the task catches States.ALL", async () => {
    let invoked = false;
    // The input fits; the parameters hold it twice.
    const result = await execute(
      'Send',
      {
        Send: echo('Done', { Parameters: { FunctionName: 'Echo', Payload: { 'text.$': '$.text', 'again.$': '$.text' } }, ...catchAll('Done') }),
        Done: { Type: 'Succeed' },
      },
      { text: 'x'.repeat(150_000) },
      { beforeTask: () => void (invoked = true) },
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(invoked).toBe(false);
  });

  it("fails the execution on a function's result over 256 KiB (with Lambda's response metadata), though the task catches States.ALL", async () => {
    // The payload alone fits; Lambda's response metadata around it does not.
    const payload = 'x'.repeat(MAX_PAYLOAD_BYTES - 100);
    const result = await execute(
      'Fetch',
      {
        // The selector would keep the state's output small: the limit applies to the result itself.
        Fetch: echo('Done', { Parameters: { FunctionName: 'Echo', 'Payload.$': '$.payload' }, ResultSelector: { received: true }, OutputPath: '$', ...catchAll('Done') }),
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
    await expect(execute('Done', { Done: { Type: 'Succeed' } }, { pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })).rejects.toThrow(/StartExecution refused/);
  });
});

describe('Lambda task errors', () => {
  it('reach Step Functions as AWS shapes them: the error type as Error, the runtime JSON as Cause', async () => {
    const result = await execute(
      'Call',
      { Call: echo('Handled', catchAll('Handled')), Handled: pass() },
      {},
      { beforeTask: () => { throw namedError('ConfigError', 'retention.logDays "abc" is not a number'); } },
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
      { beforeTask: () => { throw namedError('Lambda.ServiceException', 'Lambda was unavailable'); } },
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
