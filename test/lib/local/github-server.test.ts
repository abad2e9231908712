import { createRequire } from 'node:module';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { fakeIssue as issue } from '../../support/github-issues.ts';
import type { Recording } from '../../support/replay-server.ts';

const require = createRequire(import.meta.url);
/** GitHub's real answers around a rename, recorded by @octokit/fixtures. */
const renameRecordings = require('@octokit/fixtures/scenarios/api.github.com/rename-repository/normalized-fixture.json') as Recording[];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let github: GitHubServer;
let octokit: Octokit;
beforeAll(async () => {
  github = await GitHubServer.start({
    token: 'secret',
    repositories: [
      {
        fullName: 'acme/api',
        id: 7,
        issues: Array.from({ length: 250 }, (_, i) => issue(i + 1, `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`)),
      },
    ],
  });
  octokit = new Octokit({ auth: 'secret', baseUrl: github.url, log: quiet });
});
afterAll(async () => github?.close());
beforeEach(() => github.clearRequests());

describe('the loopback GitHub server', () => {
  it('paginates the issues list with Link headers that Octokit follows', async () => {
    const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: 'acme', repo: 'api', state: 'all', per_page: 100 });
    expect(issues).toHaveLength(250);
    expect(new Set(issues.map((item) => item.number)).size).toBe(250);
    expect(github.requests.map((request) => request.status)).toEqual([200, 200, 200]);
  });

  it('filters by since and sorts by update time', async () => {
    const { data } = await octokit.rest.issues.listForRepo({
      owner: 'acme',
      repo: 'api',
      state: 'all',
      since: '2026-11-28T00:00:00Z',
      sort: 'updated',
      direction: 'asc',
      per_page: 100,
    });
    expect(data.every((item) => item.updated_at >= '2026-11-28T00:00:00Z')).toBe(true);
    expect(data).toHaveLength(8);
  });

  it('answers a repeated conditional request 304 without spending rate-limit points', async () => {
    const first = await octokit.rest.repos.get({ owner: 'acme', repo: 'api' });
    const remaining = github.rateLimitRemaining;
    const second = await octokit.rest.repos
      .get({ owner: 'acme', repo: 'api', headers: { 'if-none-match': first.headers.etag! } })
      .catch((error: { status: number }) => error);
    expect((second as { status: number }).status).toBe(304);
    expect(github.rateLimitRemaining).toBe(remaining);
  });

  it('refuses a bad token with 401 and a missing repository with 404', async () => {
    const anonymous = new Octokit({ auth: 'wrong', baseUrl: github.url, log: quiet });
    await expect(anonymous.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 401 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'gone' })).rejects.toMatchObject({ status: 404 });
  });

  it('serves injected faults in order, then recovers', async () => {
    github.injectFaults('/repos/acme/api', { status: 502 }, { status: 429, headers: { 'retry-after': '1' } });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 502 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 429 });
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).status).toBe(200);
  });

  it.each([403, 429] as const)(
    "answers %i with x-ratelimit-remaining 0, the reset and GitHub's message when the primary limit is spent",
    async (status) => {
      github.setRateLimit(0, 2_000_000_000, status);
      try {
        await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({
          status,
          message: expect.stringMatching(/^API rate limit exceeded for /),
          response: {
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2000000000', 'x-ratelimit-used': '5000' },
            data: { documentation_url: expect.stringContaining('rate-limits-for-the-rest-api') },
          },
        });
      } finally {
        github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
      }
    },
  );

  it('refuses with a secondary rate limit, with or without retry-after', async () => {
    github.injectSecondaryRateLimit('/repos/acme/api');
    github.injectSecondaryRateLimit('/repos/acme/api', { status: 429, retryAfter: 30 });

    const without = await octokit.rest.repos
      .get({ owner: 'acme', repo: 'api' })
      .catch((error: { status: number; message: string; response: { headers: Record<string, string> } }) => error);
    const withRetryAfter = await octokit.rest.repos
      .get({ owner: 'acme', repo: 'api' })
      .catch((error: { status: number; response: { headers: Record<string, string> } }) => error);

    expect(without).toMatchObject({ status: 403, message: expect.stringContaining('You have exceeded a secondary rate limit') });
    expect((without as { response: { headers: Record<string, string> } }).response.headers['retry-after']).toBeUndefined();
    expect(withRetryAfter).toMatchObject({ status: 429, response: { headers: { 'retry-after': '30' } } });
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).status).toBe(200);
  });

  it('cuts a 200 answer mid-body once: Octokit then hands back a string, not the list', async () => {
    github.cutBody('/repos/acme/api/issues');

    const cut = await octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'api', per_page: 100 });
    const whole = await octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'api', per_page: 100 });

    expect(cut.status).toBe(200);
    expect(cut.data as unknown).toBe('');
    expect(whole.data).toHaveLength(100);
  });

  it('refuses requests beyond its concurrency limit with a secondary rate limit', async () => {
    const small = await GitHubServer.start({
      repositories: [{ fullName: 'acme/api', id: 7, issues: [] }],
      latencyMs: 100,
      maxConcurrentRequests: 2,
    });
    try {
      const client = new Octokit({ baseUrl: small.url, log: quiet });
      const statuses = await Promise.all(
        [1, 2, 3].map(() =>
          client.rest.repos.get({ owner: 'acme', repo: 'api' }).then(
            (response) => response.status,
            (error: { status: number; message: string }) => `${error.status} ${error.message.slice(0, 40)}`,
          ),
        ),
      );
      expect(statuses.sort()).toEqual([200, 200, '403 You have exceeded a secondary rate limit']);
    } finally {
      await small.close();
    }
  });

  it('answers a renamed repository as github.com does: 301 to /repositories/<id>, path and query kept', async () => {
    github.rename('acme/api', 'acme/platform-api');
    try {
      const { data, url } = await octokit.rest.repos.get({ owner: 'acme', repo: 'api' });
      const issues = await octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'api', state: 'all', per_page: 5 });

      expect(data.full_name).toBe('acme/platform-api');
      expect(url).toBe(`${github.url}/repositories/7`);
      expect(issues.url).toBe(`${github.url}/repositories/7/issues?state=all&per_page=5`);
      expect(issues.data).toHaveLength(5);
      expect(github.requests.map((request) => [request.status, request.path])).toEqual([
        [301, '/repos/acme/api'],
        [200, '/repositories/7'],
        [301, '/repos/acme/api/issues?state=all&per_page=5'],
        [200, '/repositories/7/issues?state=all&per_page=5'],
      ]);
      expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'platform-api' })).url).toBe(`${github.url}/repos/acme/platform-api`);
    } finally {
      github.rename('acme/platform-api', 'acme/api');
    }
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).url).toBe(`${github.url}/repos/acme/api`);
  });

  it("pages an org's listing as GitHub does (per_page, Link), which Octokit follows", async () => {
    const org = await GitHubServer.start({
      repositories: Array.from({ length: 5 }, (_, i) => ({ fullName: `acme/repo-${i}`, id: 100 + i, issues: [] })),
    });
    try {
      const client = new Octokit({ baseUrl: org.url, log: quiet });
      const first = await client.rest.repos.listForOrg({ org: 'acme', per_page: 2 });
      const all = await client.paginate(client.rest.repos.listForOrg, { org: 'acme', per_page: 2 });

      expect(first.data.map(({ id }) => id)).toEqual([100, 101]);
      expect(first.headers.link).toContain('rel="next"');
      expect(all.map(({ id }) => id)).toEqual([100, 101, 102, 103, 104]);
    } finally {
      await org.close();
    }
  });

  it('lists an archived repository as archived, and answers a deleted one 404 by name, id and former name', async () => {
    const org = await GitHubServer.start({
      repositories: [
        { fullName: 'acme/old', id: 1, issues: [] },
        { fullName: 'acme/gone', id: 2, issues: [] },
      ],
    });
    const client = new Octokit({ baseUrl: org.url, log: quiet });
    const statusOf = (route: string) =>
      client.request(route).then(
        ({ status }) => status,
        (error: { status: number }) => error.status,
      );
    try {
      org.archive('acme/old');
      org.rename('acme/gone', 'acme/going');
      org.delete('acme/going');

      const listed = await client.rest.repos.listForOrg({ org: 'acme' });
      expect(listed.data.map(({ full_name, archived }) => ({ full_name, archived }))).toEqual([{ full_name: 'acme/old', archived: true }]);
      org.rename('acme/old', 'acme/older');
      expect((await client.rest.repos.listForOrg({ org: 'acme' })).data.map(({ full_name }) => full_name)).toEqual(['acme/older']);
      org.rename('acme/older', 'acme/old');
      expect((await client.rest.repos.get({ owner: 'acme', repo: 'old' })).data).toMatchObject({ id: 1, archived: true });
      expect([
        await statusOf('GET /repos/acme/going'),
        await statusOf('GET /repositories/2'),
        await statusOf('GET /repos/acme/gone'),
      ]).toEqual([404, 404, 404]);

      org.delete('acme/old');
      expect((await client.rest.repos.listForOrg({ org: 'acme' })).data).toEqual([]);
      expect(await statusOf('GET /orgs/nobody/repos')).toBe(404);
    } finally {
      await org.close();
    }
  });

  it("matches github.com's recorded 301 for a renamed repository (@octokit/fixtures rename-repository)", async () => {
    const recorded = renameRecordings.find((entry) => entry.method === 'get' && entry.status === 301)!;
    github.rename('acme/api', 'acme/platform-api');
    try {
      const local = await fetch(`${github.url}/repos/acme/api`, { headers: { authorization: 'token secret' }, redirect: 'manual' });
      const body = (await local.json()) as Record<string, unknown>;

      const recordedBody = recorded.response as Record<string, unknown>;
      const idPattern = (base: string) => new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/repositories/\\d+$`);
      expect(local.status).toBe(recorded.status);
      expect(String(recorded.headers.location)).toMatch(idPattern('https://api.github.com'));
      expect(local.headers.get('location')).toMatch(idPattern(github.url));
      expect(Object.keys(body).sort()).toEqual(Object.keys(recordedBody).sort());
      expect(body).toMatchObject({ message: recordedBody.message, url: local.headers.get('location') });
      expect(recordedBody.url).toBe(recorded.headers.location);
    } finally {
      github.rename('acme/platform-api', 'acme/api');
    }
  });
});
