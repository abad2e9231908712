import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newProject, type SyncFailure } from '../../../shared/domain/project.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const projects = runtime.stores.projects;

const streak = (runs: number): SyncFailure => ({ since: '2026-11-26T02:00:00Z', consecutiveRuns: runs, lastError: 'RepositoryNotFoundError: gone', lastRunId: `daily_sync#run-${runs}` });

/** What `act` returned, and how many items DynamoDB read for its Queries (their ScannedCount). */
async function withItemsRead<T>(act: () => Promise<T>): Promise<{ result: T; read: number }> {
  let read = 0;
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const answer = await next(args);
      read += (answer.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return answer;
    },
    { step: 'initialize', name: 'countItemsRead' },
  );
  try {
    return { result: await act(), read };
  } finally {
    documentClient.middlewareStack.remove('countItemsRead');
  }
}

describe('ProjectsStore.listFailing', () => {
  it('reads only the projects with a failure streak, not every project, and lists the active ones', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `acme/repo-${String(i).padStart(2, '0')}`);
    for (const id of ids) await projects.save(newProject({ repository: id }, new Date('2026-11-01T00:00:00Z')));
    for (const id of ['acme/repo-07', 'acme/repo-21', 'acme/repo-30', 'acme/repo-33']) expect(await projects.saveFailure(id, streak(1), undefined)).toBe(true);
    // One streak ends, one project is deactivated during its streak (which it keeps), one is saved again by an operator.
    await projects.clearFailure('acme/repo-30');
    await projects.save({ ...(await projects.get('acme/repo-33'))!, active: false });
    await projects.save({ ...(await projects.get('acme/repo-21'))!, displayName: 'Renamed' });

    const { result, read } = await withItemsRead(() => projects.listFailing());

    expect(result.map((project) => project.projectId)).toEqual(['acme/repo-07', 'acme/repo-21']);
    expect(result[1]).toMatchObject({ displayName: 'Renamed', failure: streak(1) });
    expect(result[0]).not.toHaveProperty('failingFlag');
    // The three streaks, of 40 projects; the deactivated one is read and left out.
    expect(read).toBe(3);
    expect((await projects.get('acme/repo-33'))?.failure).toEqual(streak(1));
  });

  it('lists a project again when its streak grows, and no longer once it is cleared', async () => {
    await projects.save(newProject({ repository: 'acme/api' }, new Date('2026-11-01T00:00:00Z')));
    await projects.saveFailure('acme/api', streak(1), undefined);
    expect(await projects.saveFailure('acme/api', streak(2), 'daily_sync#run-1')).toBe(true);

    expect((await projects.listFailing()).map((project) => project.failure?.consecutiveRuns)).toEqual([2]);

    await projects.clearFailure('acme/api');

    const { result, read } = await withItemsRead(() => projects.listFailing());
    expect(result).toEqual([]);
    expect(read).toBe(0);
  });
});
