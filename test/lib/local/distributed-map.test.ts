import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { batchesOf, type ChildOutcome, failureThreshold, withDistributedMaps } from '../../../lib/local/distributed-map.ts';

/** A parent whose Distributed Map `Sync Each` iterates over `$.ids`, with `map` merged into the Map's definition. */
function parentWith(map: Record<string, unknown>, catchAll = false) {
  return {
    StartAt: 'Sync Each',
    States: {
      'Sync Each': {
        Type: 'Map',
        ItemsPath: '$.ids',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Sync',
          States: { Sync: { Type: 'Pass', End: true } },
        },
        ResultPath: '$.results',
        ...(catchAll ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }], Next: 'Done' } : { End: true }),
        ...map,
      },
      ...(catchAll ? { Caught: { Type: 'Pass', End: true }, Done: { Type: 'Pass', End: true } } : {}),
    },
  };
}

interface ChildStart {
  readonly definition: Record<string, unknown>;
  readonly input: Record<string, unknown>;
  readonly name: string;
}

/** Runs `definition` with its Distributed Maps' children answered by `child`; records each child's start. */
async function run(definition: object, input: object, child: (start: ChildStart) => ChildOutcome | Promise<ChildOutcome>) {
  const started: ChildStart[] = [];
  const local = withDistributedMaps(definition as Record<string, unknown>, async (childDefinition, childInput, name) => {
    const start = { definition: childDefinition, input: childInput, name };
    started.push(start);
    return child(start);
  });
  const machine = new StateMachine(local.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: local.handlers as never },
    context: { Execution: { Id: 'arn:parent', Name: 'parent' } } as never,
  });
  const output = await execution.result.then(
    (value) => ({ value, error: undefined }),
    (error: Error & { cause?: Error }) => ({ value: undefined, error: error.cause ?? error }),
  );
  return { ...output, started };
}

const succeeded = ({ input }: ChildStart): ChildOutcome => ({ status: 'SUCCEEDED', output: { synced: input.Items ?? input } });
const ids = (count: number) => Array.from({ length: count }, (_, index) => `p${index}`);

describe('the local Distributed Map', () => {
  it('starts one child execution per batch of selected items, each named by the label, with its BatchInput', async () => {
    const definition = parentWith({
      Label: 'Projects',
      ItemSelector: { 'projectId.$': '$$.Map.Item.Value', 'runId.$': '$.runId' },
      ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'runId.$': '$.runId', fixed: 1 } },
    });

    const { value, error, started } = await run(definition, { runId: 'r1', ids: ids(5) }, succeeded);

    expect(error).toBeUndefined();
    expect(started.map(({ name }) => name)).toEqual(['Projects-0', 'Projects-1', 'Projects-2']);
    expect(started[0]!.input).toEqual({
      Items: [
        { projectId: 'p0', runId: 'r1' },
        { projectId: 'p1', runId: 'r1' },
      ],
      BatchInput: { runId: 'r1', fixed: 1 },
    });
    expect(started[2]!.input.Items).toEqual([{ projectId: 'p4', runId: 'r1' }]);
    // The child runs the processor as its own state machine: no ProcessorConfig.
    expect(started[0]!.definition).toEqual({ StartAt: 'Sync', States: { Sync: { Type: 'Pass', End: true } } });
    expect((value as { results: unknown[] }).results).toHaveLength(3);
  });

  it('gives each item its own child without an ItemBatcher', async () => {
    const { value, started } = await run(parentWith({}), { ids: ids(3) }, succeeded);

    expect(started.map(({ input }) => input)).toEqual(['p0', 'p1', 'p2']);
    expect((value as { results: unknown[] }).results).toEqual([{ synced: 'p0' }, { synced: 'p1' }, { synced: 'p2' }]);
  });

  it('succeeds with failed items up to ToleratedFailurePercentage, their outputs left out', async () => {
    const definition = parentWith({ ToleratedFailurePercentage: 20 });
    const failing = new Set(['p3', 'p7']);

    const { value, error } = await run(definition, { ids: ids(10) }, (start) =>
      failing.has(start.input as unknown as string) ? { status: 'FAILED', error: 'SyncError', cause: 'boom' } : succeeded(start),
    );

    expect(error).toBeUndefined();
    expect((value as { results: unknown[] }).results).toHaveLength(8);
  });

  it('fails the Map Run with States.ExceedToleratedFailureThreshold past the threshold, which a Catch takes', async () => {
    const definition = parentWith({ ToleratedFailurePercentage: 20 }, true);
    const failing = new Set(['p1', 'p3', 'p7']);

    const { value, error } = await run(definition, { ids: ids(10) }, (start) =>
      failing.has(start.input as unknown as string) ? { status: 'FAILED', error: 'SyncError', cause: 'boom' } : succeeded(start),
    );

    expect(error).toBeUndefined();
    const caught = (value as { error: { Error: string; Cause: string } }).error;
    expect(caught.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(caught.Cause).toContain('3 of 10 item(s) failed, more than the tolerated 2');
    expect(caught.Cause).toContain('SyncError: boom');
  });

  it('counts every item of a failed batch as failed', async () => {
    const definition = parentWith({ ToleratedFailurePercentage: 20, ItemBatcher: { MaxItemsPerBatch: 5 } });

    const { error } = await run(definition, { ids: ids(10) }, (start) =>
      (start.input.Items as string[]).includes('p0') ? { status: 'TIMED_OUT' } : succeeded(start),
    );

    expect(error?.name).toBe('States.ExceedToleratedFailureThreshold');
    expect(error?.message).toContain('5 of 10 item(s) failed');
  });

  it('fails on the first failed item when no failure is tolerated, and starts no child after it', async () => {
    const { error, started } = await run(parentWith({ MaxConcurrency: 1 }), { ids: ids(5) }, (start) =>
      start.input === ('p1' as unknown) ? { status: 'FAILED', error: 'SyncError' } : succeeded(start),
    );

    expect(error?.name).toBe('States.ExceedToleratedFailureThreshold');
    expect(started).toHaveLength(2);
  });

  it('runs at most MaxConcurrency children at once', async () => {
    let running = 0;
    let most = 0;

    await run(parentWith({ MaxConcurrency: 3 }), { ids: ids(12) }, async (start) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return succeeded(start);
    });

    expect(most).toBe(3);
  });

  it('fails when the children outputs together pass 256 KiB', async () => {
    const { error } = await run(parentWith({}), { ids: ids(3) }, () => ({ status: 'SUCCEEDED', output: 'x'.repeat(100_000) }));

    expect(error?.name).toBe('States.DataLimitExceeded');
  });

  it('refuses a Distributed Map reading its items with an ItemReader, which it does not run', () => {
    const definition = parentWith({ ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: {} } });

    expect(() => withDistributedMaps(definition, async () => ({ status: 'SUCCEEDED' }))).toThrow(/ItemReader.*does not run/);
  });
});

describe('batchesOf', () => {
  it('closes a batch before it passes MaxInputBytesPerBatch, counting the whole child input', () => {
    const items = ids(10).map((id) => id.padEnd(20, '.'));
    const oneItemBytes = JSON.stringify({ Items: [items[0]] }).length;

    const batches = batchesOf(items, { MaxInputBytesPerBatch: oneItemBytes + 23 }, {}, 'Map');

    expect(batches.map(({ items: count }) => count)).toEqual([2, 2, 2, 2, 2]);
    for (const { input } of batches) expect(JSON.stringify(input).length).toBeLessThanOrEqual(oneItemBytes + 23);
  });

  it('refuses an item larger than a batch may be', () => {
    expect(() => batchesOf(['x'.repeat(300)], { MaxInputBytesPerBatch: 100 }, {}, 'Map')).toThrow(/does not fit/);
  });
});

describe('failureThreshold', () => {
  it('tolerates the fewer of ToleratedFailureCount and ToleratedFailurePercentage, and nothing without either', () => {
    expect(failureThreshold({}, 100)).toBe(0);
    expect(failureThreshold({ toleratedFailurePercentage: 5 }, 100)).toBe(5);
    expect(failureThreshold({ toleratedFailurePercentage: 5, toleratedFailureCount: 3 }, 100)).toBe(3);
    expect(failureThreshold({ toleratedFailurePercentage: 10 }, 15)).toBe(1);
  });
});
