import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { createGitHubClient, MAX_IN_PROCESS_WAIT_SECONDS } from '../../../shared/github/client.ts';
import { logger } from '../../../shared/logger.ts';
import { cachedSecret } from '../../../shared/secret.ts';
import { AwsStandIn } from '../../support/aws-stand-in.ts';

let github: GitHubServer;
beforeAll(async () => {
  github = await GitHubServer.start({ token: 'secret', repositories: [{ fullName: 'acme/api', id: 7, issues: [] }] });
});
afterAll(async () => github?.close());
beforeEach(() => {
  github.clearRequests();
  github.clearFaults();
  github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
  github.setToken('secret');
});
afterEach(() => vi.unstubAllEnvs());

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
    await expect(
      createGitHubClient({ baseUrl: github.url, token: 'secret', retryAfterBaseValue: 10 }).request('GET /repos/{owner}/{repo}', {
        owner: 'acme',
        repo: 'api',
      }),
    ).rejects.toMatchObject({ status: 403 });

    expect(github.requests.map((request) => request.status)).toEqual([403, 403, 403]);
  });
});

describe('the GitHub client when GitHub refuses the token', () => {
  /** A client whose token is the secret's (here its local variable, which each read sees anew). */
  const clientOfSecret = () => {
    vi.stubEnv('TEST_GITHUB_TOKEN', 'secret');
    return createGitHubClient({ baseUrl: github.url, token: cachedSecret('token', 'TEST_GITHUB_TOKEN', 'TEST_GITHUB_TOKEN_SECRET') });
  };
  const get = (octokit: ReturnType<typeof createGitHubClient>) =>
    octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' });

  it('sends the refused request once more with the token the secret holds now, and keeps using it', async () => {
    const octokit = clientOfSecret();
    await get(octokit);
    // Rotated: GitHub takes only the new token, which is in the secret; the client still holds the old one.
    github.setToken('rotated');
    vi.stubEnv('TEST_GITHUB_TOKEN', 'rotated');

    expect((await get(octokit)).status).toBe(200);
    expect((await get(octokit)).status).toBe(200);

    expect(github.requests.map((request) => request.status)).toEqual([200, 401, 200, 200]);
  });

  it('fails with the 401, sending nothing more, when the secret still holds the refused token', async () => {
    const octokit = clientOfSecret();
    github.setToken('revoked-elsewhere');

    await expect(get(octokit)).rejects.toMatchObject({ status: 401 });

    expect(github.requests.map((request) => request.status)).toEqual([401]);
  });

  it('tries the new token only once: refused too, the request fails', async () => {
    const octokit = clientOfSecret();
    await get(octokit);
    github.setToken('neither');
    vi.stubEnv('TEST_GITHUB_TOKEN', 'also-wrong');

    await expect(get(octokit)).rejects.toMatchObject({ status: 401 });

    expect(github.requests.map((request) => request.status)).toEqual([200, 401, 401]);
  });
});

describe('the GitHub client when GitHub refuses many requests at once', () => {
  const SECRET_NAME = 'cto-dashboard-jobs/github-token';
  const ORIGINAL = 'ghp_original0000000000000000000000000001';
  const ROTATED = 'ghp_rotated00000000000000000000000000002';
  let aws: AwsStandIn;
  beforeAll(async () => {
    aws = await AwsStandIn.start({});
  });
  afterAll(async () => aws?.close());
  beforeEach(() => {
    aws.putSecret(SECRET_NAME, ORIGINAL);
    aws.calls.length = 0;
    github.setToken(ORIGINAL);
    // The token as deployed: in Secrets Manager (here the loopback stand-in), no local variable.
    vi.stubEnv('TEST_GITHUB_TOKEN', '');
    vi.stubEnv('TEST_GITHUB_TOKEN_SECRET', SECRET_NAME);
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', aws.endpoint);
    vi.stubEnv('AWS_REGION', 'local-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  });
  afterEach(() => vi.restoreAllMocks());

  /** A client whose token secret was read once (its first request succeeded), and GitHub's record cleared. */
  const warmClient = async () => {
    const octokit = createGitHubClient({
      baseUrl: github.url,
      token: cachedSecret('token', 'TEST_GITHUB_TOKEN', 'TEST_GITHUB_TOKEN_SECRET'),
    });
    await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' });
    aws.calls.length = 0;
    github.clearRequests();
    return octokit;
  };
  const tenAtOnce = (octokit: ReturnType<typeof createGitHubClient>) =>
    Promise.allSettled(Array.from({ length: 10 }, () => octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'api' })));
  const statuses = () => github.requests.map((request) => request.status).sort();

  it('reads the rotated token once for 10 requests refused together, and sends each once more with it', async () => {
    const octokit = await warmClient();
    aws.putSecret(SECRET_NAME, ROTATED);
    github.setToken(ROTATED);

    const outcomes = await tenAtOnce(octokit);

    expect(outcomes.map((outcome) => outcome.status === 'fulfilled' && outcome.value.status)).toEqual(Array(10).fill(200));
    expect(aws.calls.map((call) => call.action)).toEqual(['GetSecretValue']);
    expect(statuses()).toEqual([...Array(10).fill(200), ...Array(10).fill(401)]);
  });

  it('reads the secret once when it still holds the token refused by 10 requests together, and fails each naming no token', async () => {
    const octokit = await warmClient();
    const logged = vi.spyOn(logger, 'debug');
    github.setToken(ROTATED);

    const outcomes = await tenAtOnce(octokit);

    expect(outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as { status: number }).status)).toEqual(
      Array(10).fill(401),
    );
    expect(aws.calls).toHaveLength(1);
    expect(statuses()).toEqual(Array(10).fill(401));
    // The errors (with the request and response they carry) and the lines logged hold no token.
    const written = [
      ...outcomes.map((outcome) => inspect(outcome, { depth: Infinity })),
      ...logged.mock.calls.map((call) => inspect(call, { depth: Infinity })),
    ].join('\n');
    expect(written).toContain('[REDACTED]');
    for (const token of [ORIGINAL, ROTATED]) expect(written).not.toContain(token);
  });
});
