import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { createGitHubClient, type GitHubClient } from '../../../shared/github/client.ts';
import { syncProjectChunk } from '../../../shared/github/issue-sync.ts';
import { cachedSecret, SECRET_TTL_MS } from '../../../shared/secret.ts';
import { AwsStandIn } from '../../support/aws-stand-in.ts';
import { addProjects, GITHUB_TOKEN, generateIssues, useDailyRuntime } from '../../support/daily.ts';
import { namedError } from '../../support/local-runtime.ts';

const { github, runtime } = await useDailyRuntime([
  { fullName: 'acme/web', id: 2, issues: generateIssues(30) },
  { fullName: 'acme/big', id: 3, issues: generateIssues(250) },
]);
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

const now = Date.parse('2026-12-01T10:00:00Z');
const options = { maxPages: 5, stopAtMs: now + 240_000, runDeadlineMs: now + 400_000, clock: () => now };
/** The sync's dependencies: the test GitHub (through `client` when given) and the local stores. */
const depsWith = (client: GitHubClient = createGitHubClient({ baseUrl: github.url, token: GITHUB_TOKEN })) => ({
  github: client,
  ...runtime.stores,
  rules: DEFAULT_BUG_RULES,
});

describe('syncProjectChunk', () => {
  it('keeps when the last sync finished while a later sync is part way through its pages', async () => {
    await addProjects(runtime, 'acme/big');
    const deps = depsWith();
    expect(await syncProjectChunk(deps, 'acme/big', options)).toMatchObject({ status: 'done' });
    const finished = (await runtime.stores.projects.get('acme/big'))?.sync.lastSyncedAt;
    expect(finished).toBe(new Date(now).toISOString());
    // 150 items change: two pages past the cursor, of which this chunk fetches one.
    const { issues } = github.repository('acme/big');
    for (let i = 0; i < 150; i++) {
      issues[i] = { ...issues[i]!, title: 'changed', updated_at: new Date(now + (i + 1) * 1000).toISOString().replace('.000', '') };
    }

    const later = now + 3_600_000;
    const partWay = await syncProjectChunk(deps, 'acme/big', {
      maxPages: 1,
      stopAtMs: later + 240_000,
      runDeadlineMs: later + 400_000,
      clock: () => later,
    });

    expect(partWay.status).toBe('more');
    // Still the finished sync's time: the project has a first sync behind it (webhooks apply, freshness is judged).
    expect((await runtime.stores.projects.get('acme/big'))?.sync).toMatchObject({ lastSyncedAt: finished, page: 1 });
  });

  it('resumes a chunk refused by a secondary limit a minute later without retry-after, or after retry-after', async () => {
    await addProjects(runtime, 'acme/web');
    const deps = depsWith();
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

  it('fails with InvalidDataError, not as a failed request, when a moved repository is answered without its name', async () => {
    await addProjects(runtime, 'acme/web');
    github.rename('acme/web', 'acme/storefront');
    // The redirected issues request is answered; the repository's own answer lacks full_name.
    github.injectFaults('/repositories/2', { status: 200, body: JSON.stringify({ id: 2 }), afterRequests: 1 });

    try {
      await expect(syncProjectChunk(depsWith(), 'acme/web', options)).rejects.toMatchObject({
        name: 'InvalidDataError',
        message: 'GitHub moved acme/web to repository 2, whose answer has no full_name',
      });
    } finally {
      github.rename('acme/storefront', 'acme/web');
    }
  });

  it("keeps a DynamoDB error's name (which Step Functions retries on) when recording a moved repository fails", async () => {
    await addProjects(runtime, 'acme/web');
    github.rename('acme/web', 'acme/storefront');
    // Throttling, which dynalite never answers.
    vi.spyOn(runtime.stores.projects, 'recordRepository').mockRejectedValueOnce(namedError('ProvisionedThroughputExceededException'));

    try {
      await expect(syncProjectChunk(depsWith(), 'acme/web', options)).rejects.toMatchObject({
        name: 'ProvisionedThroughputExceededException',
      });
    } finally {
      github.rename('acme/storefront', 'acme/web');
    }
  });

  it('fails with a TransientError naming the repository when GitHub cannot be reached', async () => {
    await addProjects(runtime, 'acme/web');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createGitHubClient({ baseUrl: `http://127.0.0.1:${port}`, token: GITHUB_TOKEN, retryAfterBaseValue: 1 });

    await expect(syncProjectChunk(depsWith(unreachable), 'acme/web', options)).rejects.toMatchObject({
      name: 'TransientError',
      message: `GitHub could not be reached for acme/web: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('fails naming the token secret, never the token, when the secret cannot be read again five minutes into a run', async () => {
    await addProjects(runtime, 'acme/web');
    const aws = await AwsStandIn.start({ 'github-token': GITHUB_TOKEN });
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', aws.endpoint);
    vi.stubEnv('SYNC_TEST_TOKEN_SECRET', 'github-token');
    const token = cachedSecret('token', 'SYNC_TEST_TOKEN', 'SYNC_TEST_TOKEN_SECRET');
    const deps = depsWith(createGitHubClient({ baseUrl: github.url, token, retryAfterBaseValue: 1 }));
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await syncProjectChunk(deps, 'acme/web', { ...options, maxPages: 1 })).toMatchObject({ status: 'done' });
    // Five minutes later the token is read again, and Secrets Manager cannot be reached.
    await aws.close();
    vi.setSystemTime(Date.now() + SECRET_TTL_MS);

    const failed = syncProjectChunk(deps, 'acme/web', options);

    await expect(failed).rejects.toMatchObject({
      name: 'TransientError',
      message: expect.stringMatching(/^secret github-token \(the token\) could not be read: /),
    });
    await expect(failed).rejects.not.toMatchObject({ message: expect.stringContaining(GITHUB_TOKEN) });
  });
});
