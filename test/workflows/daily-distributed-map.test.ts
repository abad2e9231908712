import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../lib/local/execute.ts';
import { MAX_HISTORY_EVENTS } from '../../lib/local/execution-history.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ENV } from '../../shared/environment.ts';
import { fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';
import { namedError } from '../support/local-runtime.ts';

/**
 * More projects than one execution's history holds when an Inline Map syncs them at 16 events each (1,560: see
 * test/lib/local/execute-daily-history.test.ts). Each repository has one issue, so each project syncs in one chunk.
 */
const PROJECTS = 1_600;
/** Projects of one child execution: 4 ranges of 25 project ids. */
const PER_CHILD = 100;
const repositoryOf = (index: number) => `acme/repo-${String(index).padStart(4, '0')}`;
// The pace under GitHub's points a minute only slows thousands of projects here (bench:daily measures it).
const { github, runtime } = await useDailyRuntime(
  Array.from({ length: PROJECTS }, (_, index) => ({ fullName: repositoryOf(index), id: index + 1, issues: generateIssues(1) })),
  { [ENV.githubRateBudget]: JSON.stringify({ reservePercent: 10, pacingIntervalMs: 0 }) },
);

async function addProjects(count: number) {
  const added = new Date('2026-11-01T00:00:00Z');
  for (let index = 0; index < count; index++) await runtime.stores.projects.save(newProject({ repository: repositoryOf(index) }, added));
}

/** Runs the daily job, counting the executions it started: its own and each child's. */
async function runDaily(beforeTask?: (state: string, attempt: number) => void) {
  let executions = 0;
  const result = await runtime.runJob('daily', {
    ...fast,
    at: nextSlot(),
    beforeTask,
    onStateChange: (change: StateChange) => {
      if (change.kind === 'started' && change.scope.kind === 'Execution') executions++;
    },
  });
  return { ...result, executions };
}

const syncedAt = async (index: number) => (await runtime.stores.projects.get(repositoryOf(index)))?.sync.lastSyncedAt;

describe('the daily sync of more projects than one execution could hold', () => {
  it('completes in child executions of 100 projects each, the parent history the same size as for a few', async () => {
    await addProjects(PROJECTS);

    const { execution, run, executions } = await runDaily();

    expect(PROJECTS * 16).toBeGreaterThan(MAX_HISTORY_EVENTS);
    expect(execution.status).toBe('SUCCEEDED');
    expect(run).toMatchObject({ status: 'completed', recordsProcessed: PROJECTS, recordsFailed: 0 });
    expect(run?.summary).toContain(`sync: ${PROJECTS} of ${PROJECTS} project(s) synced;`);
    expect(executions).toBe(1 + PROJECTS / PER_CHILD);
    // Start Run, List Projects, the Map, Summarize Sync, Clean Up Old Logs, Record Success and the rest: no state per project.
    expect(execution.historyEventCount).toBeLessThan(50);
    // Express children: each of 100 projects keeps no history in Step Functions, and its payloads stay small.
    expect(Math.max(...execution.children.map((child) => child.largestPayloadBytes))).toBeLessThan(20_000);
    expect(await syncedAt(0)).toBeDefined();
    expect(await syncedAt(PROJECTS - 1)).toBeDefined();
  }, 600_000);

  it('tolerates a failed child execution within 10% of the items, counting its projects as not synced', async () => {
    // 40 ranges of 25 projects: one child's 4 are the most the Map Run tolerates.
    const projects = 1_000;
    await addProjects(projects);
    let batchesListed = 0;

    const { run } = await runDaily((state) => {
      // The third child fails before it syncs a project.
      if (state === 'List Batch Projects' && ++batchesListed === 3) throw namedError('InvalidDataError', 'a broken batch');
    });

    expect(run).toMatchObject({ status: 'completed', recordsProcessed: projects - PER_CHILD, recordsFailed: PER_CHILD });
    expect(run?.summary).toContain(
      `sync: ${projects - PER_CHILD} of ${projects} project(s) synced, 100 not synced (their child execution failed);`,
    );
    expect(await syncedAt(2 * PER_CHILD)).toBeUndefined();
    expect(await syncedAt(3 * PER_CHILD)).toBeDefined();
  }, 600_000);
});

describe('a failed project inside a child execution', () => {
  it('is recorded with its failure streak, and the other projects of its child and of the other children sync', async () => {
    await addProjects(250);
    const failing = repositoryOf(150);
    github.injectFaults(`/repos/${failing}/`, ...Array.from({ length: 5 }, () => ({ status: 404, body: '{"message":"Not Found"}' })));

    const { run, executions } = await runDaily();

    expect(executions).toBe(1 + 3);
    expect(run).toMatchObject({ status: 'completed', recordsProcessed: 249, recordsFailed: 1 });
    expect(run?.summary).toContain(`sync: 249 of 250 project(s) synced, 1 failed (${failing});`);
    expect((await runtime.stores.projects.get(failing))?.failure).toMatchObject({ consecutiveRuns: 1 });
    for (const index of [149, 151, 0, 249]) expect(await syncedAt(index)).toBeDefined();
    expect(await syncedAt(150)).toBeUndefined();
  }, 600_000);
});
