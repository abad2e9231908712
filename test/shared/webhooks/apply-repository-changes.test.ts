import { describe, expect, it } from 'vitest';
import { newProject, type Project, projectIdOf } from '../../../shared/domain/project.ts';
import type { SyncEvent } from '../../../shared/domain/sync-event.ts';
import { applyRepositoryChange } from '../../../shared/webhooks/apply-repository-changes.ts';
import { type QueuedRepositoryChange, queuedDeliveryOf } from '../../../shared/webhooks/deliveries.ts';

const at = new Date('2026-11-01T00:00:00Z');
/** acme/api, known by its id 42 and renamed once already (its projectId keeps its first name). */
const followed: Project = { ...newProject({ repository: 'acme/api' }, at), fullName: 'acme/api-server', repositoryId: 42 };
/** acme/web, added by hand: its id not learned yet. */
const byHand = newProject({ repository: 'acme/web' }, at);

/** Active projects in memory, and the SyncEvents appended. */
function dependencies(projects: Project[] = [followed, byHand]) {
  const events: SyncEvent[] = [];
  return {
    projects: {
      // As ProjectsStore.findByRepository answers: by recorded id, else by projectId unless it follows another id.
      findByRepository: async ({ id, fullName }: { id: number; fullName: string }) => {
        const byName = projects.find((project) => project.projectId === projectIdOf(fullName));
        const byId = projects.find((project) => project.repositoryId === id);
        return byId ?? (byName?.repositoryId === undefined ? byName : undefined);
      },
      deactivate: async (projectId: string) => {
        const index = projects.findIndex((project) => project.projectId === projectId);
        if (index < 0) return false;
        projects[index] = { ...projects[index]!, active: false };
        return true;
      },
      recordRepository: async (projectId: string, repository: { id: number; fullName: string }) => {
        const index = projects.findIndex((project) => project.projectId === projectId);
        projects[index] = { ...projects[index]!, repositoryId: repository.id, fullName: repository.fullName };
        return true;
      },
    },
    events: { append: async (event: SyncEvent) => void events.push(event) },
    stored: (projectId: string) => projects.find((project) => project.projectId === projectId),
    appended: events,
  };
}

const change = (action: string, fullName: string, id: number, previousFullName?: string): QueuedRepositoryChange => ({
  deliveryId: 'guid-1',
  event: 'repository',
  action,
  receivedAt: '2026-11-28T10:00:00.000Z',
  repository: { id, fullName },
  ...(previousFullName ? { previousFullName } : {}),
});

describe('applyRepositoryChange', () => {
  it('renames the project of a renamed repository, found by its id, keeping its projectId', async () => {
    const deps = dependencies();

    const outcome = await applyRepositoryChange(deps, change('renamed', 'acme/platform', 42, 'acme/api-server'));

    expect(outcome).toBe('applied');
    expect(deps.stored('acme/api')).toMatchObject({ projectId: 'acme/api', fullName: 'acme/platform', repositoryId: 42, active: true });
  });

  it('follows a repository transferred to another owner, and learns the id of a project added by hand from its former name', async () => {
    const deps = dependencies();

    const outcome = await applyRepositoryChange(deps, change('transferred', 'globex/web', 7, 'acme/web'));

    expect(outcome).toBe('applied');
    expect(deps.stored('acme/web')).toMatchObject({ fullName: 'globex/web', repositoryId: 7 });
  });

  it('deactivates the project of an archived or deleted repository, with a discovery SyncEvent at warn level', async () => {
    const deps = dependencies();

    const archived = await applyRepositoryChange(deps, change('archived', 'acme/api-server', 42));
    const deleted = await applyRepositoryChange(deps, change('deleted', 'acme/web', 7));

    expect([archived, deleted]).toEqual(['applied', 'applied']);
    expect([deps.stored('acme/api')?.active, deps.stored('acme/web')?.active]).toEqual([false, false]);
    expect(deps.appended).toEqual([
      expect.objectContaining({
        eventType: 'discovery',
        level: 'warn',
        project: 'acme/api-server',
        runId: 'webhook#2026-11-28T10:00:00.000Z#guid-1',
        message: expect.stringMatching(/^acme\/api deactivated: .*acme\/api-server was archived; its stored items are kept$/),
      }),
      expect.objectContaining({ project: 'acme/web', message: expect.stringContaining('was deleted') }),
    ]);
  });

  it('leaves alone a repository no project follows, one that took a followed name, and actions that change no project', async () => {
    const deps = dependencies();

    const outcomes = [
      await applyRepositoryChange(deps, change('archived', 'acme/unknown', 99)),
      // Another repository (id 43) now named as the followed project was: not that project's.
      await applyRepositoryChange(deps, change('deleted', 'acme/api-server', 43)),
      await applyRepositoryChange(deps, change('unarchived', 'acme/api-server', 42)),
      await applyRepositoryChange(deps, change('renamed', 'acme/api-server', 42, 'acme/api-old')),
    ];

    expect(outcomes).toEqual(['untracked', 'untracked', 'ignored', 'stale']);
    expect(deps.stored('acme/api')).toEqual(followed);
    expect(deps.appended).toEqual([]);
  });
});

describe('queuedDeliveryOf, for a repository event', () => {
  const repository = { id: 42, full_name: 'globex/platform', name: 'platform', owner: { login: 'globex' }, archived: false };
  const delivery = { deliveryId: 'guid', receivedAt: '2026-11-28T10:00:00Z' };

  it('keeps the name before a rename, or the owner before a transfer, and nothing else of the payload', () => {
    const renamed = queuedDeliveryOf(
      'repository',
      { action: 'renamed', repository, changes: { repository: { name: { from: 'api' } } } },
      delivery,
    );
    const transferred = queuedDeliveryOf(
      'repository',
      { action: 'transferred', repository, changes: { owner: { from: { user: { login: 'octocat' } } } } },
      delivery,
    );
    const archived = queuedDeliveryOf('repository', { action: 'archived', repository: { ...repository, archived: true } }, delivery);

    expect(renamed).toEqual({
      delivery: {
        ...delivery,
        event: 'repository',
        action: 'renamed',
        repository: { id: 42, fullName: 'globex/platform' },
        previousFullName: 'globex/api',
      },
    });
    expect(transferred).toMatchObject({ delivery: { action: 'transferred', previousFullName: 'octocat/platform' } });
    expect(archived).toEqual({
      delivery: { ...delivery, event: 'repository', action: 'archived', repository: { id: 42, fullName: 'globex/platform' } },
    });
  });
});
