import { describe, expect, it } from 'vitest';
import { MAX_MAP_RUN_REDRIVES } from '../../../lib/local/distributed-map.ts';
import {
  type ExecuteOptions,
  type ExecutionOutcome,
  executeDefinition,
  REDRIVABLE_PERIOD_MS,
  redriveExecution,
  type StateChange,
} from '../../../lib/local/execute.ts';
import { MAX_HISTORY_EVENTS } from '../../../lib/local/execution-history.ts';
import type { LocalStack } from '../../../lib/local/template.ts';

const stack: LocalStack = { stateMachines: new Map(), functions: new Map(), tables: [], statusRules: [] };

/** A child that fails when its batch's first item is "poison", else ends with its items. */
const CHILD = {
  StartAt: 'Poisoned?',
  States: {
    'Poisoned?': { Type: 'Choice', Choices: [{ Variable: '$.Items[0]', StringEquals: 'poison', Next: 'Poisoned' }], Default: 'Done' },
    Poisoned: { Type: 'Fail', Error: 'PoisonError', Cause: 'a poisoned batch' },
    Done: { Type: 'Pass', Parameters: { 'items.$': '$.Items' }, End: true },
  },
};

/** CHILD, but a batch whose first item is "slow" waits (tests set how long) before it ends. */
const SLOW_CHILD = {
  ...CHILD,
  States: {
    ...CHILD.States,
    'Poisoned?': { ...CHILD.States['Poisoned?'], Default: 'Slow?' },
    'Slow?': { Type: 'Choice', Choices: [{ Variable: '$.Items[0]', StringEquals: 'slow', Next: 'Slow' }], Default: 'Done' },
    Slow: { Type: 'Wait', Seconds: 1, Next: 'Done' },
  },
};

/**
 * Before the Map a Pass that must not run again; the Map's failure uncaught, or caught into a Fail state. Its children
 * run `child` over batches of two items, `concurrency` at once.
 */
function parent(caught = false, child: object = CHILD, concurrency = 2) {
  return {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Next: 'Each Batch' },
      'Each Batch': {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { ...child, ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
        Label: 'Items',
        ItemBatcher: { MaxItemsPerBatch: 2 },
        MaxConcurrency: concurrency,
        ...(caught && { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Run Failed' }] }),
        End: true,
      },
      ...(caught && { 'Run Failed': { Type: 'Fail', Error: 'RunFailed', Cause: 'the Map Run failed' } }),
    },
  };
}

/** What an attempt ran: the child executions it started and the execution's states it entered. */
function observer() {
  const seen = { children: [] as string[], states: [] as string[] };
  const onStateChange = (change: StateChange) => {
    if (change.kind === 'started' && change.execution) seen.children.push(change.execution);
    if (change.kind === 'entered' && !change.execution && change.machine === 0) seen.states.push(change.state);
  };
  return { seen, onStateChange };
}

const options = { stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:Parent', name: 'parent' };

async function execute(definition: object, items: readonly string[], extra: Partial<ExecuteOptions> = {}) {
  const { seen, onStateChange } = observer();
  const outcome = await executeDefinition(
    stack,
    definition as Record<string, unknown>,
    { items },
    { ...options, onStateChange, ...extra },
  );
  return { outcome, seen };
}

async function redrive(execution: ExecutionOutcome, now?: Date) {
  const { seen, onStateChange } = observer();
  const outcome = await redriveExecution(stack, execution, { ...options, onStateChange, ...(now && { now }) });
  return { outcome, seen };
}

// Six items in batches of two: three children, the second one poisoned.
const ITEMS = ['a', 'b', 'poison', 'c', 'd', 'e'];

describe('redriveExecution with a Distributed Map', () => {
  it('redrives the failed Map Run only: its failed child starts again, the succeeded one and the states before do not', async () => {
    // One child at a time: the failed second one stops the Map Run before the third starts.
    const { outcome: failed, seen: first } = await execute(parent(false, CHILD, 1), ITEMS);

    const { outcome: redriven, seen } = await redrive(failed);

    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(first.children).toEqual(['parent/Items-0', 'parent/Items-1']);
    expect(failed.record.unfinished).toMatchObject({ state: 'Each Batch', type: 'Task' });
    expect(seen.states).toEqual(['Each Batch']);
    // The failed child first, failing again, which stops the Map Run before the unstarted third.
    expect(seen.children).toEqual(['parent/Items-1']);
    expect(redriven).toMatchObject({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      executionArn: failed.executionArn,
    });
    expect(redriven.record.redriveCount).toBe(1);
    expect(redriven.record.mapRuns.get('Each Batch')?.redriveCount).toBe(1);
    // The history goes on: ExecutionRedriven, the Map's events and the outcome, after the first attempt's.
    expect(redriven.historyEventCount).toBeGreaterThan(failed.historyEventCount);
  });

  it('reruns the Fail state a caught Map Run failure led to, and not the Map Run, as Step Functions does', async () => {
    const { outcome: failed } = await execute(parent(true), ITEMS);

    const { outcome: redriven, seen } = await redrive(failed);

    expect(failed).toMatchObject({ status: 'FAILED', error: 'RunFailed' });
    expect(seen.states).toEqual(['Run Failed']);
    expect(seen.children).toEqual([]);
    expect(redriven).toMatchObject({ status: 'FAILED', error: 'RunFailed' });
  });

  it('refuses a succeeded execution, one ended more than 14 days ago, and an Express one', async () => {
    const { outcome: succeeded } = await execute(parent(), ['a', 'b']);
    const { outcome: failed } = await execute(parent(), ITEMS);
    const express = { ...failed, record: { ...failed.record, executionType: 'EXPRESS' as const } };

    await expect(redrive(succeeded)).rejects.toThrow(/Execution is SUCCEEDED and cannot be redriven/);
    await expect(redrive(failed, new Date(failed.stopDate + REDRIVABLE_PERIOD_MS + 1))).rejects.toThrow(/redrivable period exceeded/);
    await expect(redrive(failed, new Date(failed.stopDate + REDRIVABLE_PERIOD_MS))).resolves.toBeDefined();
    await expect(redrive(express)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });

  it('refuses an execution that broke the history limit of 25,000 events', async () => {
    // 6,500 items in an Inline Map: 4 events each (MapIterationStarted/Succeeded and the Pass's 2), past the limit.
    const inline = {
      StartAt: 'Each Item',
      States: {
        'Each Item': {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    };
    const { outcome: failed } = await execute(
      inline,
      Array.from({ length: 6_500 }, (_, index) => `item-${index}`),
    );

    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.Runtime', historyEventCount: MAX_HISTORY_EVENTS });
    await expect(redrive(failed)).rejects.toThrow(/Execution history event limit exceeded/);
  });

  it('fails the Map state with States.Runtime past 1,000 redrives of its Map Run', async () => {
    const { outcome: failed } = await execute(parent(), ITEMS);
    const mapRun = failed.record.mapRuns.get('Each Batch')!;
    const atLimit = new Map([['Each Batch', { ...mapRun, redriveCount: MAX_MAP_RUN_REDRIVES }]]);

    const { outcome, seen } = await redrive({ ...failed, record: { ...failed.record, mapRuns: atLimit } });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(outcome.cause).toContain('redriven 1000 times');
    expect(seen.children).toEqual([]);
  });

  it('starts no more children once the execution timed out, and redrives the unstarted ones into one result', async () => {
    const slow = parent(false, SLOW_CHILD, 1);
    // The second child waits 4 s: it is running when the parent times out at 2 s.
    const { outcome: timedOut, seen: first } = await execute({ ...slow, TimeoutSeconds: 2 }, ['a', 'b', 'slow', 'c', 'd', 'e'], {
      waitMs: 4_000,
    });

    const { outcome: redriven, seen } = await redrive(timedOut);

    expect(timedOut.status).toBe('TIMED_OUT');
    // The child running at the timeout ended (an Express child is not stopped); none started after it.
    expect(first.children).toEqual(['parent/Items-0', 'parent/Items-1']);
    expect(timedOut.children.map((child) => child.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(seen.children).toEqual(['parent/Items-2']);
    expect(redriven).toMatchObject({
      status: 'SUCCEEDED',
      output: [{ items: ['a', 'b'] }, { items: ['slow', 'c'] }, { items: ['d', 'e'] }],
    });
  }, 20_000);
});
