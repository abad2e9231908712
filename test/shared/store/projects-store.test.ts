import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newProject, type Project, type SyncFailure } from '../../../shared/domain/project.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';
import { withWriteMeanwhile } from './write-meanwhile.ts';

// The stack's tables, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const projects = runtime.stores.projects;

const streak = (runs: number): SyncFailure => ({
  since: '2026-11-26T02:00:00Z',
  consecutiveRuns: runs,
  lastError: 'RepositoryNotFoundError: gone',
  lastRunId: `daily_sync#run-${runs}`,
});

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

describe('ProjectsStore.save', () => {
  const created = new Date('2026-11-01T00:00:00Z');
  const saved = async (project: Project) => (await projects.get(project.projectId))!;

  it('adds a project, then updates its settings: a removed SLA is removed, deactivating takes it out of the active projects', async () => {
    const project = { ...newProject({ repository: 'acme/api', slaHours: { critical: 4 } }, created), repositoryId: 7 };
    expect(await projects.save(project)).toBe('added');
    expect(await saved(project)).toEqual(project);

    expect(
      await projects.save({
        ...newProject({ repository: 'acme/api', displayName: 'API' }, new Date('2026-11-20T00:00:00Z')),
        active: false,
      }),
    ).toBe('updated');

    // The settings replaced; when it was added and its repository id kept.
    expect(await saved(project)).toEqual({ ...project, displayName: 'API', active: false, slaHours: undefined });
    expect(await saved(project)).not.toHaveProperty('slaHours');
    expect(await projects.listActive()).toEqual([]);
    await projects.save(project);
    expect((await projects.listActive()).map((active) => active.projectId)).toEqual(['acme/api']);
  });

  it("keeps a sync cursor a daily run wrote between the caller's read and the save", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    const read = await saved(newProject({ repository: 'acme/api' }, created));
    const synced = { cursor: '2026-11-28T01:59:00Z', page: 1, etag: 'W/"abc"', lastSyncedAt: '2026-11-28T02:01:00Z' };

    await withWriteMeanwhile(
      () => projects.saveSyncState('acme/api', synced),
      () => projects.save({ ...read, displayName: 'API' }),
    );

    expect(await saved(read)).toMatchObject({ displayName: 'API', sync: synced });
  });

  it("keeps a streak a finished sync cleared between the caller's read and the save: the project is not failing again", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.saveFailure('acme/api', streak(3), undefined);
    const read = await saved(newProject({ repository: 'acme/api' }, created));
    expect(read.failure).toEqual(streak(3));

    await withWriteMeanwhile(
      () => projects.clearFailure('acme/api'),
      () => projects.save({ ...read, displayName: 'API' }),
    );

    expect(await saved(read)).not.toHaveProperty('failure');
    expect(await projects.listFailing()).toEqual([]);
  });

  it("keeps a rename discovery recorded between the caller's read and the save", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    const read = await saved(newProject({ repository: 'acme/api' }, created));

    await withWriteMeanwhile(
      () => projects.recordRepository('acme/api', { id: 42, fullName: 'acme/api-v2' }),
      () => projects.save({ ...read, displayName: 'API' }),
    );

    expect(await saved(read)).toMatchObject({ displayName: 'API', fullName: 'acme/api-v2', repositoryId: 42 });
  });

  it('never puts a project in or out of the failing index, whatever failure the saved object carries', async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.save(newProject({ repository: 'acme/web' }, created));
    await projects.saveFailure('acme/web', streak(2), undefined);

    // A streak on the object saved is not the project's; one the project has stays.
    await projects.save({ ...newProject({ repository: 'acme/api' }, created), failure: streak(5) });
    await projects.save(newProject({ repository: 'acme/web', displayName: 'Web' }, created));

    expect(await saved(newProject({ repository: 'acme/api' }, created))).not.toHaveProperty('failure');
    expect(await projects.listFailing()).toEqual([
      expect.objectContaining({ projectId: 'acme/web', displayName: 'Web', failure: streak(2) }),
    ]);
  });
});

describe('ProjectsStore writes of a running sync', () => {
  const created = new Date('2026-11-01T00:00:00Z');

  it('records a rename only on a project that exists: one deleted while its sync ran is not recreated as a fragment', async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    const running = (await projects.get('acme/api'))!;

    const recorded = await withWriteMeanwhile(
      // As `projects remove` deleted items before it deactivated them, or as an operator deletes one in the console.
      () => documentClient.send(new DeleteCommand({ TableName: projects.tableName, Key: { projectId: running.projectId } })),
      () => projects.recordRepository(running.projectId, { id: 42, fullName: 'acme/api-v2' }),
    );

    expect(recorded).toBe(false);
    expect(await projects.get('acme/api')).toBeUndefined();
    // Nor does the rest of the run's bookkeeping bring it back.
    await projects.clearFailure('acme/api');
    expect(await projects.saveFailure('acme/api', streak(1), undefined)).toBe(false);
    await expect(projects.saveSyncState('acme/api', { page: 1 })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await projects.get('acme/api')).toBeUndefined();
  });

  it("keeps the operator's new settings when a sync records its cursor and a rename meanwhile, and the sync's writes too", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    const synced = { cursor: '2026-11-28T01:59:00Z', page: 1, lastSyncedAt: '2026-11-28T02:01:00Z' };

    await withWriteMeanwhile(
      () => projects.save(newProject({ repository: 'acme/api', displayName: 'API' }, new Date('2026-11-28T02:00:00Z'))),
      async () => {
        await projects.saveSyncState('acme/api', synced);
        await projects.recordRepository('acme/api', { id: 42, fullName: 'acme/api-v2' });
      },
    );

    expect(await projects.get('acme/api')).toMatchObject({
      displayName: 'API',
      createdAt: created.toISOString(),
      sync: synced,
      fullName: 'acme/api-v2',
      repositoryId: 42,
    });
  });
});

describe('ProjectsStore.listFailing', () => {
  it('reads only the projects with a failure streak, not every project, and lists the active ones', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `acme/repo-${String(i).padStart(2, '0')}`);
    for (const id of ids) await projects.save(newProject({ repository: id }, new Date('2026-11-01T00:00:00Z')));
    for (const id of ['acme/repo-07', 'acme/repo-21', 'acme/repo-30', 'acme/repo-33'])
      expect(await projects.saveFailure(id, streak(1), undefined)).toBe(true);
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

describe('ProjectsStore.recordWebhookConfirmation', () => {
  const created = new Date('2026-11-01T00:00:00Z');

  it('moves the confirmation forward only, keeps the sync progress, and never recreates a removed project', async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.saveSyncState('acme/api', { page: 1, lastSyncedAt: '2026-11-28T02:00:00.000Z' });

    expect(await projects.recordWebhookConfirmation('acme/api', '2026-11-28T09:10:00.000Z')).toBe(true);
    // An older batch applied late, and the same time again, leave it as it is.
    expect(await projects.recordWebhookConfirmation('acme/api', '2026-11-28T09:05:00.000Z')).toBe(false);
    expect(await projects.recordWebhookConfirmation('acme/api', '2026-11-28T09:10:00.000Z')).toBe(false);
    expect(await projects.recordWebhookConfirmation('acme/gone', '2026-11-28T09:10:00.000Z')).toBe(false);

    expect(await projects.listActive()).toEqual([
      expect.objectContaining({
        projectId: 'acme/api',
        webhookConfirmedAt: '2026-11-28T09:10:00.000Z',
        sync: { page: 1, lastSyncedAt: '2026-11-28T02:00:00.000Z' },
      }),
    ]);
    expect(await projects.get('acme/gone')).toBeUndefined();
  });
});
