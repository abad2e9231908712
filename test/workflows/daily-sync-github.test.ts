import { describe, expect, it } from 'vitest';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

const { github, runtime } = await useDailyRuntime([
  { fullName: 'acme/web', id: 2, issues: generateIssues(30) },
  { fullName: 'acme/api', id: 3, issues: generateIssues(150) },
  { fullName: 'acme/steady', id: 4, issues: generateIssues(5) },
  { fullName: 'acme/empty', id: 5, issues: [] },
]);

/** Status and path of each request under `prefix`, in order. */
const requestsTo = (prefix: string) =>
  github.requests.filter((request) => request.path.startsWith(prefix)).map((request) => `${request.status} ${request.path.split('?')[0]}`);

describe('the daily sync against GitHub as it really is, through the synthesized state machine', () => {
  it('waits in Step Functions for a primary limit answered 429, sending nothing while it holds, then completes', async () => {
    await addProjects(runtime, 'acme/web');
    // Spent just after the sync's budget read the limit (free, and full), for the next few seconds (a Wait state's
    // real time): GitHub answers its first request 429 with the spent limit's headers.
    const spent = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000' };
    const reset = String(Math.floor(Date.now() / 1000) + 4);
    github.injectFaults('/repos/acme/web/issues', { status: 429, headers: { ...spent, 'x-ratelimit-reset': reset } });
    const states: string[] = [];

    const result = await runtime.runJob('daily', { retryIntervalMs: 0, at: nextSlot(), onStateEvent: (line) => states.push(line) });

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

  it('follows a github.com-shaped redirect for a renamed repository, records its new name, asks for it directly next time', async () => {
    await addProjects(runtime, 'acme/web');
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.rename('acme/web', 'acme/storefront');
    const repository = github.repository('acme/storefront');
    repository.issues.push({ ...repository.issues[0]!, number: 31, title: 'After the rename', updated_at: '2026-11-27T11:00:00Z' });
    github.clearRequests();

    try {
      const renamed = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(renamed.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      // The token's check, then the sync budget's first reading of the limit (neither costs a point).
      expect(requestsTo('/')).toEqual([
        '200 /rate_limit',
        '200 /rate_limit',
        '301 /repos/acme/web/issues',
        '200 /repositories/2/issues',
        '200 /repositories/2',
      ]);
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
