import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubServer, type FakeIssue } from '../../../lib/local/github-server.ts';

const issue = (number: number, updatedAt: string, extra: Partial<FakeIssue> = {}): FakeIssue => ({
  number,
  title: `Issue ${number}`,
  state: 'open',
  labels: ['bug'],
  assignees: [],
  user: 'octocat',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: updatedAt,
  closed_at: null,
  ...extra,
});

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
  octokit = new Octokit({ auth: 'secret', baseUrl: github.url, log: { debug() {}, info() {}, warn() {}, error() {} } });
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
    const anonymous = new Octokit({ auth: 'wrong', baseUrl: github.url, log: { debug() {}, info() {}, warn() {}, error() {} } });
    await expect(anonymous.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 401 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'gone' })).rejects.toMatchObject({ status: 404 });
  });

  it('serves injected faults in order, then recovers', async () => {
    github.injectFaults('/repos/acme/api', { status: 502 }, { status: 429, headers: { 'retry-after': '1' } });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 502 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 429 });
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).status).toBe(200);
  });

  it('answers 403 with x-ratelimit-remaining 0 when the primary limit is spent', async () => {
    github.setRateLimit(0, 2_000_000_000);
    try {
      await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'api' })).rejects.toMatchObject({
        status: 403,
        response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2000000000' } },
      });
    } finally {
      github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
    }
  });

  it('follows a renamed repository (301) to its new name', async () => {
    github.rename('acme/api', 'acme/platform-api');
    const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'api' });
    expect(data.full_name).toBe('acme/platform-api');
    expect(github.requests[0]!.status).toBe(301);
  });
});
