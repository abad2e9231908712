import { beforeEach, describe, expect, it } from 'vitest';
import { newProject, type SyncFailure } from '../../../shared/domain/project.ts';
import { useHandler } from '../../support/local-runtime.ts';

const { runtime, handler } = await useHandler('lambdas/daily/compute-project-metrics.ts');
beforeEach(async () => {
  await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, new Date('2026-11-01T00:00:00Z')));
  await runtime.stores.projects.saveFailure('acme/api', streak, undefined);
});

const streak: SyncFailure = {
  since: '2026-11-26T02:00:00Z',
  consecutiveRuns: 2,
  lastError: 'TransientError: GitHub could not be reached',
  lastRunId: 'daily_sync#2026-11-27T02:00:00Z',
};
const step = { runId: 'daily_sync#2026-11-28T02:00:00Z', projectId: 'acme/api', scheduledTime: '2026-11-28T02:00:00Z' };

describe('the compute-project-metrics handler', () => {
  it('takes an input without the sync status (started before the deploy) as a finished sync: snapshot stored, streak ended', async () => {
    expect(await handler(step)).toEqual({ projectId: 'acme/api', healthScore: expect.any(Number) });

    expect(await runtime.stores.snapshots.getDaily('acme/api', '2026-11-28')).toBeDefined();
    expect((await runtime.stores.projects.get('acme/api'))?.failure).toBeUndefined();
    expect(await runtime.stores.projects.listFailing()).toEqual([]);
  });

  it('keeps the streak of a sync a rate limit deferred', async () => {
    await handler({ ...step, syncStatus: 'deferred' });

    expect((await runtime.stores.projects.get('acme/api'))?.failure).toEqual(streak);
  });
});
