import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../lib/local/execute.ts';
import { runIdOf } from '../../shared/domain/job-run.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ENV } from '../../shared/environment.ts';
import { fast, generateIssues, nextSlot, redriveDaily, useDailyRuntime } from '../support/daily.ts';
import { namedError } from '../support/local-runtime.ts';

/** Two child executions: the first of 100 projects (4 ranges of 25), the second of the last 10. */
const PROJECTS = 110;
const SECOND_CHILD = Array.from({ length: 10 }, (_, index) => repositoryOf(100 + index));
/**
 * The run's budget: List Projects sets its syncing deadline 90 s before its end, and 0.25 s a range (5) earlier still,
 * 28.75 s after the execution started. The first child's 100 projects of one item each sync well within it (11 to 18 s
 * measured on two shared cores).
 */
const RUN_TIMEOUT_SECONDS = 120;
const DEADLINE_MS = 28_750;

function repositoryOf(index: number): string {
  return `acme/repo-${String(index).padStart(4, '0')}`;
}

const { github, runtime } = await useDailyRuntime(
  Array.from({ length: PROJECTS }, (_, index) => ({ fullName: repositoryOf(index), id: index + 1, issues: generateIssues(1) })),
  {
    [ENV.githubRateBudget]: JSON.stringify({ reservePercent: 10, pacingIntervalMs: 0 }),
    [ENV.jobTimeoutSeconds]: String(RUN_TIMEOUT_SECONDS),
  },
);

async function addProjects() {
  const added = new Date('2026-11-01T00:00:00Z');
  for (let index = 0; index < PROJECTS; index++)
    await runtime.stores.projects.save(newProject({ repository: repositoryOf(index) }, added));
}

/** The repositories GitHub was asked about since `from`, in the order first asked. */
const repositoriesAsked = (from: number) => [
  ...new Set(github.requests.slice(from).flatMap(({ path }) => /^\/repos\/(acme\/repo-\d+)/.exec(path)?.[1] ?? [])),
];

/** A `beforeTask` that runs `act` on every call of List Batch Projects but the first (the first child's). */
function afterFirstChild(act: () => Promise<void>) {
  let calls = 0;
  return async (state: string) => {
    if (state === 'List Batch Projects' && ++calls > 1) await act();
  };
}

/** Executions started, by name within the run (`DailySync-1`). */
function startedChildren() {
  const started: string[] = [];
  const onStateChange = (change: StateChange) => {
    if (change.kind === 'started' && change.scope.kind === 'Execution' && change.execution) started.push(change.execution.split('/')[1]!);
  };
  return { started, onStateChange };
}

describe("a child execution started after the run's deadline", () => {
  it('syncs none of its projects but records each deferred, and the next run takes them first', async () => {
    await addProjects();
    let startedAt = 0;
    const first = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      onStateChange: (change: StateChange) => {
        if (change.kind === 'started' && change.scope.kind === 'Execution' && !change.execution) startedAt = Date.now();
      },
      beforeTask: afterFirstChild(() => sleep(Math.max(0, startedAt + DEADLINE_MS + 1_000 - Date.now()))),
    });
    const runId = runIdOf(first.request);
    const outcomes = new Map((await runtime.stores.projects.listRunOutcomes(runId)).map(({ projectId, outcome }) => [projectId, outcome]));
    const events = await runtime.stores.events.listForRun(runId);

    expect(first.execution.status).toBe('SUCCEEDED');
    expect(repositoriesAsked(0).filter((name) => SECOND_CHILD.includes(name))).toEqual([]);
    for (const projectId of SECOND_CHILD) {
      expect(outcomes.get(projectId)).toMatchObject({ status: 'deferred' });
      expect(events.find((event) => event.project === projectId)?.message).toMatch(/^not synced: the run's time for syncing ran out at /);
    }
    const deferred = [...outcomes.values()].filter((outcome) => outcome.status === 'deferred' || 'deferred' in outcome).length;
    expect(first.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(first.run?.summary).toContain(`${deferred} deferred to the next run`);
    // Deferred for the run's time, not a rate limit: no skip of the run for the watchdog.
    expect(first.run?.rateLimitDeferrals).toBeUndefined();

    const requestsBefore = github.requests.length;
    const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(next.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    // The range never synced goes first: its child starts the run.
    expect(SECOND_CHILD).toContain(repositoriesAsked(requestsBefore)[0]);
    expect((await runtime.stores.projects.get(SECOND_CHILD[9]!))?.sync.lastSyncedAt).toBeDefined();
  }, 600_000);
});

describe('a Map Run that failed over its tolerance', () => {
  it('fails the execution at the Map; a redrive after the deadline reruns the failed child, which syncs its projects', async () => {
    await addProjects();
    const { started, onStateChange } = startedChildren();
    const first = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      onStateChange,
      beforeTask: afterFirstChild(async () => {
        throw namedError('InvalidDataError', 'the projects table refused the query');
      }),
    });
    const runId = runIdOf(first.request);

    expect(first.execution.status).toBe('FAILED');
    expect(first.execution.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(first.execution.record.unfinished?.state).toBe('Sync Each Project');
    // The reconciler closed the run the failed execution left open.
    expect(first.run).toMatchObject({ status: 'failed', errorName: 'States.ExceedToleratedFailureThreshold' });

    // Redriven once the run's deadline has passed: the rerun child syncs for its own time, not the first attempt's.
    await sleep(Math.max(0, first.execution.startDate + DEADLINE_MS + 1_000 - Date.now()));
    const requestsBefore = github.requests.length;
    started.length = 0;
    const redriven = await redriveDaily(runtime, first.execution, onStateChange);
    const run = await runtime.stores.runs.get(runId);

    expect(redriven.status).toBe('SUCCEEDED');
    expect(started).toEqual(['DailySync-1']);
    expect(repositoriesAsked(requestsBefore).sort()).toEqual(SECOND_CHILD);
    expect(run).toMatchObject({ status: 'completed', trigger: 'redrive', redriveCount: 1, recordsProcessed: PROJECTS, recordsFailed: 0 });
    expect(run?.summary).toContain(`sync: ${PROJECTS} of ${PROJECTS} project(s) synced;`);
  }, 600_000);
});
