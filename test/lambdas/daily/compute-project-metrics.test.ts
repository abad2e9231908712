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

  it('counts a revenue label over the cap as the cap, and names it in a warning event', async () => {
    const bug = (number: number, labels: string[]) => ({
      projectId: 'acme/api',
      number,
      kind: 'bug' as const,
      title: `bug ${number}`,
      state: 'open' as const,
      htmlUrl: `https://github.com/acme/api/issues/${number}`,
      author: 'someone',
      assignees: ['owner'],
      labels,
      createdAt: '2026-11-27T00:00:00Z',
      updatedAt: '2026-11-27T00:00:00Z',
      severity: 'low' as const,
      // As stored before the cap existed: the label's own sum.
      revenueImpact: number === 1 ? 5_000_000_000_000 : 500,
    });
    await runtime.stores.items.upsert([bug(1, ['bug', `revenue:${'9'.repeat(45)}k`]), bug(2, ['bug', 'revenue:500'])]);

    await handler(step);

    const snapshot = await runtime.stores.snapshots.getDaily('acme/api', '2026-11-28');
    expect(snapshot?.revenueAtRisk).toBe(1_000_500);
    const warnings = (await runtime.stores.events.listForRun(step.runId)).filter((event) => event.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /^1 revenue label\(s\) above the cap of \$1,000,000\/day counted as \$1,000,000\/day: #1 "revenue:9{45}k"$/,
    );
  });

  it('keeps the streak of a sync a rate limit deferred', async () => {
    await handler({ ...step, syncStatus: 'deferred' });

    expect((await runtime.stores.projects.get('acme/api'))?.failure).toEqual(streak);
  });
});
