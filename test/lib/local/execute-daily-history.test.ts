import { describe, expect, it } from 'vitest';
import { MAX_HISTORY_EVENTS } from '../../../lib/local/execution-history.ts';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../../support/daily.ts';

const REPOSITORIES = Array.from({ length: 3 }, (_, i) => `acme/repo-${String(i).padStart(4, '0')}`);

/**
 * Events one project writes in its child execution's history when it syncs in one chunk, no attempt is retried and
 * GitHub's rate limit never makes it wait: MapIterationStarted/Succeeded; Sync Project and Compute Project Metrics
 * (Task: Entered, Scheduled, Started, Succeeded, Exited); Replay? and More to Sync? (Choice): Entered, Exited.
 */
const EVENTS_PER_PROJECT = 2 + 5 + 2 + 5 + 2;
/**
 * A child execution's own events: ExecutionStarted/Succeeded; List Batch Projects (Task, 5); Sync Batch Projects (Map:
 * Entered, Started, Succeeded, Exited); Batch Synced (Pass, 2).
 */
const EVENTS_OF_A_CHILD = 2 + 5 + 4 + 2;
/**
 * The parent's events, whatever the number of projects: ExecutionStarted/Succeeded; Start Run, List Projects, Summarize
 * Sync, Clean Up Old Logs and Record Success (Tasks, 5 each); Run or Skip? and Run Completed (2 each); Sync Each
 * Project (the Distributed Map, run locally as a Task without a Lambda: Entered, Succeeded, Exited).
 */
const EVENTS_OF_THE_PARENT = 2 + 5 * 5 + 2 * 2 + 3;

type Definition = { StartAt: string; States: Record<string, Record<string, unknown>> };

type ChildDefinition = Definition & { ProcessorConfig: Record<string, unknown> };

/** The Distributed Map's child definition, wherever the job's definition nests it. */
function childDefinitionOf(machine: Definition): ChildDefinition | undefined {
  for (const state of Object.values(machine.States)) {
    const processor = state.ItemProcessor as (Definition & { ProcessorConfig: { Mode?: string } }) | undefined;
    if (processor?.ProcessorConfig.Mode === 'DISTRIBUTED') return processor;
    for (const nested of [...((state.Branches as Definition[] | undefined) ?? []), ...(processor ? [processor] : [])]) {
      const found = childDefinitionOf(nested);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Patches the child executions to write `events` (even, at least 6) more history events before their first state: a
 * Pass that adds items to the input (2), an Inline Map of Passes over them (4, and 4 an item) that hands the input on,
 * and one more Pass (2) when `events` is a multiple of 4; and to run as `executionType`.
 */
function padChildHistory(events: number, executionType: 'STANDARD' | 'EXPRESS') {
  const extraPass = events % 4 === 0;
  const items = (events - 6 - (extraPass ? 2 : 0)) / 4;
  if (!Number.isInteger(items) || items < 0) throw new Error(`cannot pad a history with ${events} events`);
  return (definition: Record<string, unknown>) => {
    const patched = structuredClone(definition) as Definition;
    const child = childDefinitionOf(patched);
    if (!child) throw new Error('the daily job has no Distributed Map');
    const startAt = child.StartAt;
    child.ProcessorConfig.ExecutionType = executionType;
    child.StartAt = 'Pad Items';
    Object.assign(child.States, {
      'Pad Items': {
        Type: 'Pass',
        Parameters: { 'input.$': '$', items: Array.from({ length: items }, (_, i) => i) },
        Next: 'Pad History',
      },
      'Pad History': {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Pad', States: { Pad: { Type: 'Pass', End: true } } },
        ResultPath: null,
        OutputPath: '$.input',
        Next: extraPass ? 'Pad Once More' : startAt,
      },
      ...(extraPass ? { 'Pad Once More': { Type: 'Pass', Next: startAt } } : {}),
    });
    return patched as unknown as Record<string, unknown>;
  };
}

const { runtime } = await useDailyRuntime(REPOSITORIES.map((fullName, i) => ({ fullName, id: i + 1, issues: generateIssues(1) })));

describe("the daily job's histories on the local runtime", () => {
  it('keeps the parent at 34 events whatever the number of projects; a child grows by 16 a project around 13', async () => {
    const none = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    await addProjects(runtime, ...REPOSITORIES);
    const three = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect([none.run?.status, three.run?.status]).toEqual(['completed', 'completed']);
    expect([none.execution.historyEventCount, three.execution.historyEventCount]).toEqual([EVENTS_OF_THE_PARENT, EVENTS_OF_THE_PARENT]);
    expect(none.execution.children).toEqual([]);
    expect(three.execution.children.map((child) => child.historyEventCount)).toEqual([EVENTS_OF_A_CHILD + 3 * EVENTS_PER_PROJECT]);
  });

  it('lets an Express child write past 25,000 events, which fail a Standard child with States.Runtime exactly there', async () => {
    // Prepare: padding that leaves a child of 3 projects 24,999 events (an odd number, the padding an even one), then 2 more.
    await addProjects(runtime, ...REPOSITORIES);
    const padding = MAX_HISTORY_EVENTS - 1 - (EVENTS_OF_A_CHILD + 3 * EVENTS_PER_PROJECT);

    const fits = await runtime.runJob('daily', { ...fast, at: nextSlot(), patchDefinition: padChildHistory(padding, 'STANDARD') });
    const over = await runtime.runJob('daily', { ...fast, at: nextSlot(), patchDefinition: padChildHistory(padding + 2, 'STANDARD') });
    const express = await runtime.runJob('daily', { ...fast, at: nextSlot(), patchDefinition: padChildHistory(padding + 2, 'EXPRESS') });

    expect(fits.execution.children).toMatchObject([{ status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS - 1 }]);
    expect(fits.run?.status).toBe('completed');
    expect(over.execution.children).toMatchObject([
      {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
        historyEventCount: MAX_HISTORY_EVENTS,
      },
    ]);
    expect(over.run?.status).toBe('failed');
    expect(express.execution.children).toMatchObject([{ status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS + 1 }]);
    expect(express.run?.status).toBe('completed');
  });
});
