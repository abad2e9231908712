import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubServer } from '../../lib/local/github-server.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { createGitHubClient } from '../../shared/github/client.ts';
import { syncProjectChunk } from '../../shared/github/sync-project.ts';
import { addProjects, generateIssues, GITHUB_TOKEN, startDailyRuntime } from '../support/daily.ts';

let slot = 0;
const nextSlot = () => new Date(Date.parse('2026-11-28T02:00:00Z') + slot++ * 86_400_000);
const fast = { retryIntervalMs: 0, waitMs: 0 };

let github: GitHubServer;
let runtime: LocalRuntime;
beforeAll(async () => {
  ({ github, runtime } = await startDailyRuntime([
    { fullName: 'acme/web', id: 2, issues: generateIssues(30) },
    { fullName: 'acme/api', id: 3, issues: generateIssues(150) },
    { fullName: 'acme/steady', id: 4, issues: generateIssues(5) },
    { fullName: 'acme/empty', id: 5, issues: [] },
  ]));
});
afterAll(async () => {
  await runtime?.close();
  await github?.close();
});
beforeEach(async () => {
  await runtime.reset();
  github.clearRequests();
  github.clearFaults();
  github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
});

/** Status and path of each request under `prefix`, in order. */
const requestsTo = (prefix: string) => github.requests.filter((request) => request.path.startsWith(prefix)).map((request) => `${request.status} ${request.path.split('?')[0]}`);

describe('the daily sync against GitHub as it really is, through the synthesized state machine', () => {
  it('waits in Step Functions for a primary limit answered 429, sending nothing while it holds, then completes', async () => {
    await addProjects(runtime, 'acme/web');
    let spent = false;
    // Spent just as the sync starts, for the next two seconds or so (a Wait state's real time).
    const spendLimit = (state: string) => {
      if (state !== 'Sync Project' || spent) return;
      github.setRateLimit(0, Math.floor(Date.now() / 1000) + 2, 429);
      spent = true;
    };
    const states: string[] = [];

    const result = await runtime.runJob('daily', { retryIntervalMs: 0, at: nextSlot(), beforeTask: spendLimit, onStateEvent: (line) => states.push(line) });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 30, recordsFailed: 0 });
    expect(states).toContain('→ Wait for Rate Limit Reset');
    expect(requestsTo('/repos/acme/web')).toEqual(['429 /repos/acme/web/issues', '200 /repos/acme/web/issues']);
  });

  it('hands a secondary limit without retry-after to Step Functions: one refused request, then the sync completes', async () => {
    await addProjects(runtime, 'acme/web');
    github.injectSecondaryRateLimit('/repos/acme/web/issues', { status: 429 });
    const states: string[] = [];

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 30, recordsFailed: 0 });
    expect(states).toContain('→ Wait for Rate Limit Reset');
    expect(requestsTo('/repos/acme/web')).toEqual(['429 /repos/acme/web/issues', '200 /repos/acme/web/issues']);
  });

  it('resumes a chunk refused by a secondary limit a minute later without retry-after, or after retry-after', async () => {
    await addProjects(runtime, 'acme/web');
    const deps = { github: createGitHubClient({ baseUrl: github.url, token: GITHUB_TOKEN }), ...runtime.stores, rules: DEFAULT_BUG_RULES };
    const now = Date.parse('2026-12-01T10:00:00Z');
    const options = { maxPages: 5, stopAtMs: now + 240_000, runDeadlineMs: now + 400_000, clock: () => now };
    github.injectSecondaryRateLimit('/repos/acme/web/issues');
    github.injectSecondaryRateLimit('/repos/acme/web/issues', { retryAfter: 45 });
    github.injectSecondaryRateLimit('/repos/acme/web/issues', { retryAfter: 500 });

    const withoutRetryAfter = await syncProjectChunk(deps, 'acme/web', options);
    const withRetryAfter = await syncProjectChunk(deps, 'acme/web', options);
    const pastTheRun = await syncProjectChunk(deps, 'acme/web', options);

    expect(withoutRetryAfter).toMatchObject({ status: 'wait', resumeAt: '2026-12-01T10:01:00.000Z' });
    expect(withRetryAfter).toMatchObject({ status: 'wait', resumeAt: '2026-12-01T10:00:45.000Z' });
    expect(pastTheRun).toMatchObject({ status: 'deferred', resumeAt: '2026-12-01T10:08:20.000Z' });
    expect(github.requests.map((request) => request.status)).toEqual([403, 403, 403]);
  });

  it('retries a 200 answer cut mid-body from the saved progress and ends with exactly the items GitHub has', async () => {
    await addProjects(runtime, 'acme/api');
    github.cutBody('/repos/acme/api/issues', 1);
    const states: string[] = [];

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot(), onStateEvent: (line) => states.push(line) });

    expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(states).toContain('↻ Sync Project retried');
    const stored = (await runtime.stores.items.listForProject('acme/api')).map((item) => item.number).sort((a, b) => a - b);
    expect(stored).toEqual(github.repository('acme/api').issues.map((issue) => issue.number));
    expect(requestsTo('/repos/acme/api')).toEqual(Array(3).fill('200 /repos/acme/api/issues'));
  });

  it('fails only that project, with a TransientError naming the repository, when every attempt gets a truncated body', async () => {
    await addProjects(runtime, 'acme/web', 'acme/steady');
    const truncated = { status: 200, body: '[{"id":1,' };
    github.injectFaults('/repos/acme/web/issues', truncated, truncated, truncated);

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 5, recordsFailed: 1 });
    const errors = (await runtime.stores.events.listForRun(result.run!.runId)).filter((event) => event.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ project: 'acme/web' });
    expect(errors[0]!.message).toContain("TransientError: GitHub's answer for acme/web was cut short or is not JSON (9 characters)");
    // Step Functions' transient retrier: three attempts in all, then the project's failure is recorded.
    expect(requestsTo('/repos/acme/web')).toEqual(Array(3).fill('200 /repos/acme/web/issues'));
  });

  it('follows a renamed repository through a github.com-shaped redirect, records its new name, and asks for it directly next time', async () => {
    await addProjects(runtime, 'acme/web');
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.rename('acme/web', 'acme/storefront');
    const repository = github.repository('acme/storefront');
    repository.issues.push({ ...repository.issues[0]!, number: 31, title: 'After the rename', updated_at: '2026-11-27T11:00:00Z' });
    github.clearRequests();

    try {
      const renamed = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(renamed.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect(requestsTo('/')).toEqual(['200 /rate_limit', '301 /repos/acme/web/issues', '200 /repositories/2/issues', '200 /repositories/2']);
      expect(await runtime.stores.projects.get('acme/web')).toMatchObject({ projectId: 'acme/web', fullName: 'acme/storefront' });
      expect((await runtime.stores.projects.listActive()).map((project) => project.projectId)).toEqual(['acme/web']);
      const items = await runtime.stores.items.listForProject('acme/web');
      expect(items.map((item) => item.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
      expect(items.find((item) => item.number === 31)?.htmlUrl).toBe('https://github.com/acme/storefront/issues/31');
      const synced = (await runtime.stores.events.listForRun(renamed.run!.runId)).find((event) => event.eventType === 'github_sync');
      expect(synced?.project).toBe('acme/storefront');

      github.clearRequests();
      const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(next.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      // The new name, straight away; the ETag of the redirected answer still holds, so it is free.
      expect(requestsTo('/re')).toEqual(['304 /repos/acme/storefront/issues']);
    } finally {
      github.rename('acme/storefront', 'acme/web');
      repository.issues.pop();
    }
  });

  it('learns the new name even when the redirected request is answered 304', async () => {
    await addProjects(runtime, 'acme/empty', 'acme/steady');
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.rename('acme/empty', 'acme/void');
    github.clearRequests();

    try {
      const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect(requestsTo('/re').filter((line) => !line.includes('steady'))).toEqual([
        '301 /repos/acme/empty/issues',
        '304 /repositories/5/issues',
        '200 /repositories/5',
      ]);
      expect(await runtime.stores.projects.get('acme/empty')).toMatchObject({ fullName: 'acme/void' });
    } finally {
      github.rename('acme/void', 'acme/empty');
    }
  });
});
