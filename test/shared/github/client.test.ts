import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { createGitHubClient, MAX_IN_PROCESS_WAIT_SECONDS } from '../../../shared/github/client.ts';

let github: GitHubServer;
beforeAll(async () => {
  github = await GitHubServer.start({ token: 'secret', repositories: [{ fullName: 'acme/api', id: 7, issues: [] }] });
});
afterAll(async () => github?.close());
beforeEach(() => {
  github.clearRequests();
  github.clearFaults();
  github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
});

/** The client as deployed: real waits (1,000 ms per second of retry-after). */
const client = () => createGitHubClient({ baseUrl: github.url, token: 'secret' });
const getRepository = () => client().request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' });

describe('the GitHub client under rate limits', () => {
  it.each([403, 429] as const)('sends nothing more once the primary limit is spent (%i)', async (status) => {
    github.setRateLimit(0, Math.floor(Date.now() / 1000) + 3600, status);

    await expect(getRepository()).rejects.toMatchObject({ status });

    expect(github.requests.map((request) => request.status)).toEqual([status]);
  });

  it.each([403, 429] as const)('does not wait in the function for a secondary limit without retry-after (%i)', async (status) => {
    github.injectSecondaryRateLimit('/repos/acme/api', { status });
    const started = Date.now();

    await expect(getRepository()).rejects.toMatchObject({ status, message: expect.stringContaining('secondary rate limit') });

    // GitHub asks for at least a minute here: the sync hands that wait to Step Functions.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(github.requests).toHaveLength(1);
  });

  it(`waits once for a secondary limit's retry-after of at most ${MAX_IN_PROCESS_WAIT_SECONDS} s, then succeeds`, async () => {
    github.injectSecondaryRateLimit('/repos/acme/api', { retryAfter: 1 });
    const started = Date.now();

    const response = await getRepository();

    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(github.requests.map((request) => request.status)).toEqual([403, 200]);
  });

  it('neither waits for a longer retry-after nor retries a second refusal', async () => {
    github.injectSecondaryRateLimit('/repos/acme/api', { retryAfter: MAX_IN_PROCESS_WAIT_SECONDS + 1 });
    await expect(getRepository()).rejects.toMatchObject({ status: 403, response: { headers: { 'retry-after': '11' } } });
    github.injectSecondaryRateLimit('/repos/acme/api', { retryAfter: 1, count: 2 });
    await expect(createGitHubClient({ baseUrl: github.url, token: 'secret', retryAfterBaseValue: 10 }).request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' })).rejects.toMatchObject({ status: 403 });

    expect(github.requests.map((request) => request.status)).toEqual([403, 403, 403]);
  });
});
