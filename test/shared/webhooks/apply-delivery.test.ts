import { describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { newProject, type Project, projectIdOf } from '../../../shared/domain/project.ts';
import type { WorkItem } from '../../../shared/domain/work-item.ts';
import { applyDelivery } from '../../../shared/webhooks/apply-delivery.ts';
import type { QueuedDelivery } from '../../../shared/webhooks/deliveries.ts';
import { issuePayload } from '../../support/github-issues.ts';

const delivery = (action: string, fullName = 'Acme/API'): QueuedDelivery => ({
  deliveryId: 'guid',
  event: 'issues',
  action,
  receivedAt: '2026-11-28T10:00:01Z',
  repository: { id: 1, fullName },
  item: issuePayload(3),
});

function dependencies(project: Project | undefined) {
  const written: WorkItem[] = [];
  return {
    written,
    // As ProjectsStore.findByRepository finds a project without a repository id: by name, in any case.
    projects: {
      findByRepository: async (repository: { fullName: string }) =>
        projectIdOf(repository.fullName) === project?.projectId ? project : undefined,
    },
    items: {
      putIfNewer: async (item: WorkItem) => Boolean(written.push(item)),
      replaceAllIfUnchanged: async (items: readonly WorkItem[]) => {
        written.push(...items);
        return items.length;
      },
      listForProject: async () => [...written],
    },
    rules: DEFAULT_BUG_RULES,
  };
}

describe('applyDelivery', () => {
  const created = newProject({ repository: 'acme/api' }, new Date('2026-11-01T00:00:00Z'));
  const project: Project = { ...created, sync: { ...created.sync, lastSyncedAt: '2026-11-02T02:00:00Z' } };

  it('finds the project whatever the case of the repository name GitHub sends', async () => {
    const deps = dependencies(project);
    expect(await applyDelivery(deps, delivery('opened'))).toBe('applied');
    expect(deps.written.map((item) => [item.projectId, item.number, item.kind])).toEqual([['acme/api', 3, 'issue']]);
  });

  it('leaves a deleted or transferred issue to the daily sync', async () => {
    const deps = dependencies(project);
    expect(await applyDelivery(deps, delivery('deleted'))).toBe('ignored');
    expect(await applyDelivery(deps, delivery('transferred'))).toBe('ignored');
    expect(deps.written).toEqual([]);
  });

  it("leaves a project's items to its first sync, its only writer until it finishes", async () => {
    const deps = dependencies(created);
    expect(await applyDelivery(deps, delivery('opened'))).toBe('unsynced');
    expect(deps.written).toEqual([]);
  });

  it('does not apply deliveries of a deactivated project', async () => {
    const deps = dependencies({ ...project, active: false });
    expect(await applyDelivery(deps, delivery('opened'))).toBe('untracked');
    expect(deps.written).toEqual([]);
  });
});
