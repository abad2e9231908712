import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubServer } from '../../../lib/local/github-server.ts';
import { MAX_HISTORY_EVENTS } from '../../../lib/local/execution-history.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { addProjects, generateIssues, startDailyRuntime } from '../../support/daily.ts';

const SLOT = Date.parse('2026-11-28T02:00:00Z');
let slot = 0;
const nextSlot = () => new Date(SLOT + slot++ * 86_400_000);
const fast = { retryIntervalMs: 0, waitMs: 0 };
const REPOSITORIES = Array.from({ length: 3 }, (_, i) => `acme/repo-${String(i).padStart(4, '0')}`);

/**
 * Events one project writes in the daily job's history when it syncs in one chunk:
 * MapIterationStarted/Succeeded; Sync Project and Compute Project Metrics (Task: Entered, Scheduled,
 * Started, Succeeded, Exited); More to Sync? (Choice) and Project Synced (Pass): Entered, Exited.
 */
const EVENTS_PER_PROJECT = 2 + 5 + 2 + 5 + 2;
/**
 * The run's own events: ExecutionStarted/Succeeded; Start Run, List Projects, Summarize Sync, Clean Up Old
 * Logs and Record Success (Tasks, 5 each); Run or Skip? and Run Completed (2 each); Sync Each Project (Map
 * Entered, Started, Succeeded, Exited).
 */
const EVENTS_AROUND_PROJECTS = 2 + 5 * 5 + 2 * 2 + 4;

let github: GitHubServer;
let runtime: LocalRuntime;
beforeAll(async () => {
  ({ github, runtime } = await startDailyRuntime(REPOSITORIES.map((fullName, i) => ({ fullName, id: i + 1, issues: generateIssues(1) }))));
});
afterAll(async () => {
  await runtime?.close();
  await github?.close();
});

describe("the daily job's history on the local runtime", () => {
  it('grows by 16 events a project around 35 of its own, so the deployed job fails from 1,561 projects', async () => {
    const none = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    await addProjects(runtime, ...REPOSITORIES);
    const three = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect([none.run?.status, three.run?.status]).toEqual(['completed', 'completed']);
    expect(none.execution.historyEventCount).toBe(EVENTS_AROUND_PROJECTS);
    expect((three.execution.historyEventCount - none.execution.historyEventCount) / 3).toBe(EVENTS_PER_PROJECT);
    // The last project count whose history fits: the next one fails the run with States.Runtime (a real run of
    // 1,561 projects did, measured once: too slow for the suite at ~100 s; the limit itself is proven in execute.test.ts).
    expect(Math.floor((MAX_HISTORY_EVENTS - EVENTS_AROUND_PROJECTS) / EVENTS_PER_PROJECT)).toBe(1_560);
  });
});
