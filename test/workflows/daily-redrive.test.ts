import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../lib/local/execute.ts';
import { runIdOf } from '../../shared/domain/job-run.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ENV } from '../../shared/environment.ts';
import { fast, generateIssues, nextSlot, redriveDaily, useDailyRuntime } from '../support/daily.ts';
import { namedError } from '../support/local-runtime.ts';

/** Two child executions: the first of 100 projects (4 ranges of 25), the second of the last 10. */
const PROJECTS = 110;
const repositoryOf = (index: number) => `acme/repo-${String(index).padStart(4, '0')}`;
/** A project of the second child whose sync fails in the first attempt, and whose failure cannot be recorded. */
const FAILING = 105;
/**
 * The parent's timeout in the first attempt: the first child and the second one's projects but the failing one sync
 * well within it (11 to 18 s measured on two shared cores), then the failing one's child waits for the timeout.
 */
const PARENT_TIMEOUT_SECONDS = 45;

const { github, runtime } = await useDailyRuntime(
  Array.from({ length: PROJECTS }, (_, index) => ({ fullName: repositoryOf(index), id: index + 1, issues: generateIssues(1) })),
  { [ENV.githubRateBudget]: JSON.stringify({ reservePercent: 10, pacingIntervalMs: 0 }) },
);

type Definition = Record<string, unknown> & { States: Record<string, Record<string, unknown>> };

/** The daily definition with the parent's timeout shortened, so it times out mid-map. */
function patched(definition: Record<string, unknown>): Record<string, unknown> {
  return { ...(definition as Definition), TimeoutSeconds: PARENT_TIMEOUT_SECONDS };
}

async function addProjects() {
  const added = new Date('2026-11-01T00:00:00Z');
  for (let index = 0; index < PROJECTS; index++)
    await runtime.stores.projects.save(newProject({ repository: repositoryOf(index) }, added));
}

/** The repositories GitHub was asked about since `from` (their issues, ETag checks and the rest), each once. */
const repositoriesAsked = (from: number) => [
  ...new Set(
    github.requests
      .slice(from)
      .flatMap(({ path }) => /^\/repos\/(acme\/repo-\d+)/.exec(path)?.[1] ?? [])
      .sort(),
  ),
];

describe('a redrive of the daily parent', () => {
  it('reruns only the unfinished child, in it only the project not synced yet; the run completes counting each project once', async () => {
    await addProjects();
    github.injectFaults(`/repos/${repositoryOf(FAILING)}`, ...Array.from({ length: 500 }, () => ({ status: 500 })));
    let parentTimedOut!: () => void;
    const timedOut = new Promise<void>((resolve) => {
      parentTimedOut = resolve;
    });
    const started: string[] = [];
    const onStateChange = (change: StateChange) => {
      if (change.kind === 'ended' && change.scope.kind === 'Execution' && !change.execution && change.outcome === 'TimedOut')
        parentTimedOut();
      if (change.kind === 'started' && change.scope.kind === 'Execution' && change.execution) started.push(change.execution);
    };

    // The failing project's failure cannot be recorded: its child fails, after the parent timed out while it ran.
    const first = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      patchDefinition: patched,
      onStateChange,
      beforeTask: async (state) => {
        if (state !== 'Record Project Failure') return;
        await timedOut;
        throw namedError('InvalidDataError', 'the project table refused the failure');
      },
    });
    const runId = runIdOf(first.request);
    const syncedFirst = (await runtime.stores.projects.listRunOutcomes(runId)).map(({ projectId }) => projectId);

    expect(first.execution.status).toBe('TIMED_OUT');
    expect(first.execution.children.map(({ name, status }) => [name.split('/')[1], status])).toEqual([
      ['DailySync-0', 'SUCCEEDED'],
      ['DailySync-1', 'FAILED'],
    ]);
    expect(syncedFirst).toHaveLength(PROJECTS - 1);
    expect(syncedFirst).not.toContain(repositoryOf(FAILING));
    // The reconciler closed the run the timed-out execution left open.
    expect(first.run?.status).toBe('timeout');

    github.clearFaults();
    const requestsBefore = github.requests.length;
    started.length = 0;
    const redriven = await redriveDaily(runtime, first.execution, onStateChange);
    const run = await runtime.stores.runs.get(runId);

    expect(redriven).toMatchObject({ status: 'SUCCEEDED', executionArn: first.execution.executionArn });
    expect(redriven.record.redriveCount).toBe(1);
    expect(started.map((name) => name.split('/')[1])).toEqual(['DailySync-1']);
    expect(repositoriesAsked(requestsBefore)).toEqual([repositoryOf(FAILING)]);
    expect(run).toMatchObject({ status: 'completed', trigger: 'redrive', redriveCount: 1, recordsProcessed: PROJECTS, recordsFailed: 0 });
    expect(run?.summary).toContain(`sync: ${PROJECTS} of ${PROJECTS} project(s) synced;`);
  }, 300_000);
});
