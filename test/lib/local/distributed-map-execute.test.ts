import { describe, expect, it } from 'vitest';
import { type ExecuteOptions, executeDefinition, type StateChange } from '../../../lib/local/execute.ts';
import { MAX_HISTORY_EVENTS } from '../../../lib/local/execution-history.ts';
import type { LocalStack } from '../../../lib/local/template.ts';

const stack: LocalStack = { stateMachines: new Map(), functions: new Map(), tables: [], statusRules: [] };

/**
 * A child that runs one Pass per item of its batch (4 events an item: MapIterationStarted/Succeeded and the Pass's
 * 2), unless its first item is "poison", then ends with its own execution name.
 */
const CHILD = {
  StartAt: 'Poisoned?',
  States: {
    'Poisoned?': { Type: 'Choice', Choices: [{ Variable: '$.Items[0]', StringEquals: 'poison', Next: 'Poisoned' }], Default: 'Each Item' },
    Poisoned: { Type: 'Fail', Error: 'PoisonError', Cause: 'a poisoned batch' },
    'Each Item': {
      Type: 'Map',
      ItemsPath: '$.Items',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
      ResultPath: null,
      Next: 'Named',
    },
    Named: { Type: 'Pass', Parameters: { 'name.$': '$$.Execution.Name' }, End: true },
  },
};

/**
 * A parent that runs CHILD over `$.items` in `mode`, batches of `perBatch` items, tolerating `tolerated` failed items,
 * its children of `executionType`.
 */
function parent(mode: 'DISTRIBUTED' | 'INLINE', perBatch: number, tolerated = 0, executionType: 'STANDARD' | 'EXPRESS' = 'STANDARD') {
  const distributed = {
    Label: 'Items',
    ItemBatcher: { MaxItemsPerBatch: perBatch },
    ToleratedFailureCount: tolerated,
    MaxConcurrency: 4,
  };
  return {
    StartAt: 'Each Batch',
    States: {
      'Each Batch': {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { ...CHILD, ProcessorConfig: { Mode: mode, ...(mode === 'DISTRIBUTED' ? { ExecutionType: executionType } : {}) } },
        // Inline, each iteration is a batch of its one item.
        ...(mode === 'DISTRIBUTED' ? distributed : { ItemSelector: { 'Items.$': 'States.Array($$.Map.Item.Value)' } }),
        End: true,
      },
    },
  };
}

async function execute(definition: object, items: readonly string[], options: Partial<ExecuteOptions> = {}) {
  const executions: string[] = [];
  const outcome = await executeDefinition(
    stack,
    definition as Record<string, unknown>,
    { items },
    {
      stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:Parent',
      name: 'parent',
      onStateChange: (change: StateChange) => {
        if (change.kind === 'started' && change.scope.kind === 'Execution') executions.push(String(change.machine));
      },
      ...options,
    },
  );
  return { outcome, executions: executions.length };
}

const items = (count: number, ...poisoned: number[]) =>
  Array.from({ length: count }, (_, index) => (poisoned.includes(index) ? 'poison' : `item-${index}`));

describe('executeDefinition with a Distributed Map', () => {
  it('completes over more items than one execution can hold, each child with its own history', async () => {
    // 6,500 items: inline, at 14 events each, they pass 25,000; in children of 1,000 each child writes about 4,000.
    const inline = await execute(parent('INLINE', 0), items(6_500));
    const distributed = await execute(parent('DISTRIBUTED', 1_000), items(6_500));

    expect(inline.outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', historyEventCount: MAX_HISTORY_EVENTS });
    expect(distributed.outcome.status).toBe('SUCCEEDED');
    expect(distributed.executions).toBe(1 + 7);
    // The parent's history does not grow with the items: its states and the Map Run's start and end.
    expect(distributed.outcome.historyEventCount).toBeLessThan(10);
    expect(distributed.outcome.output).toEqual(Array.from({ length: 7 }, (_, index) => ({ name: `parent/Items-${index}` })));
  }, 120_000);

  it('fails a child that breaks its own history limit alone, and the parent tolerates its items', async () => {
    // The first child's 7,000 items need 28,000 events: it fails with States.Runtime; the second completes.
    const tolerant = await execute(parent('DISTRIBUTED', 7_000, 7_000), items(7_010));
    const strict = await execute(parent('DISTRIBUTED', 7_000, 6_999), items(7_010));

    expect(tolerant.outcome.status).toBe('SUCCEEDED');
    expect(tolerant.outcome.output).toEqual([{ name: 'parent/Items-1' }]);
    expect(strict.outcome).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(strict.outcome.cause).toContain('States.Runtime: The execution reached the maximum number of history events (25000).');
  }, 120_000);

  it('isolates a failed child: the others complete, and the run fails only past the tolerated count', async () => {
    const tolerated = await execute(parent('DISTRIBUTED', 10, 10), items(50, 20));
    const past = await execute(parent('DISTRIBUTED', 10, 10), items(50, 20, 30));

    expect(tolerated.outcome.status).toBe('SUCCEEDED');
    expect((tolerated.outcome.output as { name: string }[]).map(({ name }) => name)).toEqual(
      ['Items-0', 'Items-1', 'Items-3', 'Items-4'].map((name) => `parent/${name}`),
    );
    expect(past.outcome).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(past.outcome.cause).toContain('20 of 50 item(s) failed, more than the tolerated 10; the first failed child: PoisonError');
  });
});

describe('executeDefinition with Express child executions', () => {
  it('keeps no history for them: a child past 25,000 events completes', async () => {
    const express = await execute(parent('DISTRIBUTED', 7_000, 0, 'EXPRESS'), items(7_000));

    expect(express.outcome.status).toBe('SUCCEEDED');
    expect(express.outcome.children).toMatchObject([{ status: 'SUCCEEDED', historyEventCount: 7_000 * 4 + 10 }]);
  }, 120_000);

  it('times a child out past its longest duration, and the Map Run fails past the tolerated count', async () => {
    // A child that waits 2 s, under a longest duration of 1 s (AWS: 5 minutes).
    const waiting = structuredClone(parent('DISTRIBUTED', 1, 0, 'EXPRESS'));
    const processor = waiting.States['Each Batch'].ItemProcessor as unknown as { StartAt: string; States: Record<string, object> };
    processor.States.Wait = { Type: 'Wait', Seconds: 2, Next: processor.StartAt };
    processor.StartAt = 'Wait';

    const { outcome } = await execute(waiting, items(1), { expressTimeoutSeconds: 1 });

    expect(outcome.children).toMatchObject([{ status: 'TIMED_OUT', error: 'States.Timeout' }]);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
  }, 60_000);
});
