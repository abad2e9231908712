import { describe, expect, it } from 'vitest';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

const { github, runtime } = await useDailyRuntime([
  {
    fullName: 'acme/api',
    id: 1,
    issues: generateIssues(250, undefined, (n) =>
      n % 5 === 0
        ? {
            labels: [],
            pull_request: { merged_at: n % 10 === 0 ? '2026-11-27T00:00:00Z' : null },
            state: n % 10 === 0 ? 'closed' : 'open',
            closed_at: n % 10 === 0 ? '2026-11-27T00:00:00Z' : null,
          }
        : n % 7 === 0
          ? { labels: ['bug', 'P0', 'revenue:2500'], assignees: [] }
          : {},
    ),
  },
  { fullName: 'acme/web', id: 2, issues: generateIssues(30) },
  { fullName: 'acme/changing', id: 3, issues: generateIssues(30) },
]);

describe('the daily GitHub sync, through the synthesized state machine', () => {
  it('syncs every page of every project, storing pull requests apart from bugs, and scores each project', async () => {
    await addProjects(runtime, 'acme/api', 'acme/web');

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 280, recordsFailed: 0 });
    const items = await runtime.stores.items.listForProject('acme/api');
    expect(items).toHaveLength(250);
    expect(items.filter((item) => item.kind === 'pull_request')).toHaveLength(50);
    expect(items.filter((item) => item.kind === 'bug')).toHaveLength(200);
    expect(items.find((item) => item.number === 7)).toMatchObject({ kind: 'bug', severity: 'critical', revenueImpact: 2500 });
    expect(items.find((item) => item.number === 10)).toMatchObject({ kind: 'pull_request', mergedAt: '2026-11-27T00:00:00Z' });
    // 250 items: 3 requests of up to 100, each window starting at the newest item seen.
    expect(github.requests.filter((request) => request.path.startsWith('/repos/acme/api/issues'))).toHaveLength(3);
    const snapshot = await runtime.stores.snapshots.getDaily('acme/api', result.request.scheduledTime.slice(0, 10));
    expect(snapshot?.openBugs.critical).toBe(items.filter((item) => item.severity === 'critical').length);
    expect(snapshot?.health.formulaVersion).toBe('health-v2');
  });

  it('spends no rate-limit points on unchanged repositories the next day (304), large or single-page', async () => {
    await addProjects(runtime, 'acme/api', 'acme/web');
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.clearRequests();
    const remaining = github.rateLimitRemaining;

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run?.status).toBe('completed');
    const issueRequests = github.requests.filter((request) => request.path.startsWith('/repos/'));
    expect(issueRequests.map((request) => request.status)).toEqual([304, 304]);
    expect(github.rateLimitRemaining).toBe(remaining);
  });

  it('fetches only what changed since the last sync', async () => {
    await addProjects(runtime, 'acme/changing');
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    const repository = github.repository('acme/changing');
    repository.issues[3] = {
      ...repository.issues[3]!,
      state: 'closed',
      closed_at: '2026-11-27T10:00:00Z',
      updated_at: '2026-11-27T10:00:00Z',
    };
    repository.issues.push({
      ...repository.issues[0]!,
      number: 31,
      title: 'New',
      created_at: '2026-11-27T11:00:00Z',
      updated_at: '2026-11-27T11:00:00Z',
    });
    github.clearRequests();

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    const issueRequests = github.requests.filter((request) => request.path.startsWith('/repos/'));
    expect(issueRequests.map((request) => request.status)).toEqual([200]);
    const items = await runtime.stores.items.listForProject('acme/changing');
    expect(items).toHaveLength(31);
    expect(items.find((item) => item.number === 4)?.state).toBe('closed');
    // Only the two changed items are written again.
    expect(result.run?.recordsProcessed).toBe(2);
  });

  it('retries transient GitHub errors (5xx) and a secondary rate limit (retry-after), then completes', async () => {
    await addProjects(runtime, 'acme/web');
    github.injectFaults('/repos/acme/web/issues', { status: 502 }, { status: 503 });
    github.injectFaults('/repos/acme/web/issues', {
      status: 403,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({ message: 'You have exceeded a secondary rate limit.' }),
    });

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(github.requests.map((request) => request.status)).toEqual(expect.arrayContaining([502, 503, 403, 200]));
    expect(await runtime.stores.items.listForProject('acme/web')).toHaveLength(30);
  });

  it('isolates a missing repository and a malformed answer: the other projects sync', async () => {
    await addProjects(runtime, 'acme/web', 'acme/gone', 'acme/api');
    github.injectFaults('/repos/acme/api/issues', { status: 200, body: '{"not":"a list"}' });

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 30, recordsFailed: 2 });
    expect(result.run?.summary).toContain('1 of 3 project(s) synced, 2 failed (acme/api, acme/gone)');
    const errors = (await runtime.stores.events.listForRun(result.run!.runId)).filter((event) => event.level === 'error');
    expect(errors.map((event) => [event.project, event.message.split(':')[0]]).sort()).toEqual([
      ['acme/api', 'InvalidDataError'],
      ['acme/gone', 'RepositoryNotFoundError'],
    ]);
    expect(await runtime.stores.items.listForProject('acme/web')).toHaveLength(30);
  });

  it('fails the whole run at once when GitHub refuses the token before any project syncs', async () => {
    await addProjects(runtime, 'acme/web');
    github.setToken('rotated');
    try {
      const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });
      expect(result.run).toMatchObject({ status: 'failed', errorName: 'AuthError' });
      expect(github.requests).toHaveLength(1);
    } finally {
      github.setToken('test-token');
    }
  });

  it('follows a renamed repository (301) and records its new name', async () => {
    await addProjects(runtime, 'acme/web');
    github.rename('acme/web', 'acme/storefront');
    try {
      const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });
      expect(result.run?.status).toBe('completed');
      expect(await runtime.stores.projects.get('acme/web')).toMatchObject({ fullName: 'acme/storefront' });
      expect(await runtime.stores.items.listForProject('acme/web')).toHaveLength(30);
    } finally {
      github.rename('acme/storefront', 'acme/web');
    }
  });
});
