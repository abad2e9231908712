import { describe, expect, it } from 'vitest';
import { MAX_HISTORY_EVENTS } from '../../../lib/local/execution-history.ts';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../../support/daily.ts';

const REPOSITORIES = Array.from({ length: 3 }, (_, i) => `acme/repo-${String(i).padStart(4, '0')}`);

/**
 * Events one project writes in the daily job's history when it syncs in one chunk, no attempt is retried and
 * GitHub's rate limit never makes it wait: MapIterationStarted/Succeeded; Sync Project and Compute Project
 * Metrics (Task: Entered, Scheduled, Started, Succeeded, Exited); Replay? and More to Sync? (Choice) and Project
 * Synced (Pass): Entered, Exited. Each further chunk adds Sync Project and More to Sync? again (7), a rate-limit wait
 * Wait for Rate Limit Reset (2) and those 7, each retried attempt its Scheduled, Started and Failed (3): a
 * run with any of these fits fewer projects.
 */
const EVENTS_PER_PROJECT = 2 + 2 + 5 + 2 + 5 + 2;
/**
 * The run's own events: ExecutionStarted/Succeeded; Start Run, List Projects, Summarize Sync, Clean Up Old
 * Logs and Record Success (Tasks, 5 each); Run or Skip? and Run Completed (2 each); Sync Each Project (Map
 * Entered, Started, Succeeded, Exited).
 */
const EVENTS_AROUND_PROJECTS = 2 + 5 * 5 + 2 * 2 + 4;

/** The most projects one daily execution syncs within the history limit, when `padding` other events share it. */
const projectsThatFit = (padding = 0) => Math.floor((MAX_HISTORY_EVENTS - EVENTS_AROUND_PROJECTS - padding) / EVENTS_PER_PROJECT);
const FITTING_PROJECTS = projectsThatFit().toLocaleString('en-US');

/**
 * Patches a definition to write `events` (even, at least 6) more history events before its first state: a
 * Pass that adds items to the input (2), a Map of Passes over them (4, and 4 an item) that hands the input on,
 * and one more Pass (2) when `events` is a multiple of 4.
 */
function padHistory(events: number) {
  const extraPass = events % 4 === 0;
  const items = (events - 6 - (extraPass ? 2 : 0)) / 4;
  if (!Number.isInteger(items) || items < 0) throw new Error(`cannot pad a history with ${events} events`);
  return (definition: Record<string, unknown>) => {
    const { StartAt: startAt, States: states } = definition as { StartAt: string; States: Record<string, unknown> };
    return {
      ...definition,
      StartAt: 'Pad Items',
      States: {
        ...states,
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
      },
    };
  };
}

const { runtime } = await useDailyRuntime(REPOSITORIES.map((fullName, i) => ({ fullName, id: i + 1, issues: generateIssues(1) })));

describe("the daily job's history on the local runtime", () => {
  it('grows by 18 events a project around 35 of its own', async () => {
    const none = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    await addProjects(runtime, ...REPOSITORIES);
    const three = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect([none.run?.status, three.run?.status]).toEqual(['completed', 'completed']);
    expect(none.execution.historyEventCount).toBe(EVENTS_AROUND_PROJECTS);
    expect(three.execution.historyEventCount).toBe(EVENTS_AROUND_PROJECTS + 3 * EVENTS_PER_PROJECT);
  });

  it(`fails with States.Runtime exactly where the count predicts, so the deployed job fits ${FITTING_PROJECTS} projects`, async () => {
    // Prepare: 3 projects, and padding that leaves their run 24,999 events (a daily history has an odd number
    // of events, the padding an even one), then 2 more: 25,001, one past the limit.
    await addProjects(runtime, ...REPOSITORIES);
    const padding = MAX_HISTORY_EVENTS - 1 - (EVENTS_AROUND_PROJECTS + 3 * EVENTS_PER_PROJECT);

    const fits = await runtime.runJob('daily', { ...fast, at: nextSlot(), patchDefinition: padHistory(padding) });
    const over = await runtime.runJob('daily', { ...fast, at: nextSlot(), patchDefinition: padHistory(padding + 2) });

    expect([projectsThatFit(padding), projectsThatFit(padding + 2)]).toEqual([3, 2]);
    expect(fits.execution).toMatchObject({ status: 'SUCCEEDED', historyEventCount: MAX_HISTORY_EVENTS - 1 });
    expect(fits.run?.status).toBe('completed');
    expect(over.execution).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
      historyEventCount: MAX_HISTORY_EVENTS,
    });
  });
});
