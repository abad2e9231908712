import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { APP_ID, appKeys, fakeApp, signedJwt } from '../../support/github-app.ts';
import { fakeIssue as issue } from '../../support/github-issues.ts';

const keys = appKeys();
const otherKeys = appKeys();
let github: GitHubServer;
beforeAll(async () => {
  github = await GitHubServer.start({
    token: 'ghp_personal',
    repositories: [
      { fullName: 'acme/api', id: 1, issues: [issue(1)] },
      { fullName: 'acme/web', id: 2, issues: [issue(2)] },
      { fullName: 'globex/core', id: 3, issues: [issue(3)] },
    ],
    app: fakeApp(keys.publicKey, [
      { id: 11, account: 'acme', repositories: ['acme/api', 'acme/web'] },
      { id: 12, account: 'globex', repositories: ['globex/core'] },
    ]),
  });
});
afterAll(async () => github?.close());
afterEach(() => vi.useRealTimers());

const call = async (path: string, authorization: string, method = 'GET') => {
  const response = await fetch(`${github.url}${path}`, { method, headers: { authorization } });
  return { status: response.status, body: await response.json() };
};
const mint = async (installationId: number) => {
  const { status, body } = await call(
    `/app/installations/${installationId}/access_tokens`,
    `Bearer ${signedJwt(keys.privateKey)}`,
    'POST',
  );
  expect(status).toBe(201);
  return body as { token: string; expires_at: string };
};

describe('GitHubServer as a GitHub App', () => {
  it("lists the app's installations to a valid JWT", async () => {
    const { status, body } = await call('/app/installations', `Bearer ${signedJwt(keys.privateKey)}`);

    expect(status).toBe(200);
    expect(body).toEqual([
      { id: 11, account: { login: 'acme' }, repository_selection: 'selected' },
      { id: 12, account: { login: 'globex' }, repository_selection: 'selected' },
    ]);
  });

  it('mints an installation token that expires in an hour and sees only its installation', async () => {
    const before = Date.now();
    const { token, expires_at } = await mint(11);

    expect(token).toMatch(/^ghs_/);
    expect(Date.parse(expires_at) - before).toBeGreaterThan(3599_000);
    expect(Date.parse(expires_at) - before).toBeLessThanOrEqual(3600_000);
    const listed = await call('/installation/repositories?per_page=1', `token ${token}`);
    expect(listed.body.total_count).toBe(2);
    expect(listed.body.repositories.map((repository: { full_name: string }) => repository.full_name)).toEqual(['acme/api']);
    expect((await call('/repos/acme/web/issues', `token ${token}`)).status).toBe(200);
    expect((await call('/repos/globex/core/issues', `token ${token}`)).status).toBe(404);
    expect((await call('/repositories/3', `token ${token}`)).status).toBe(404);
    expect(github.mintedTokens.get(11)).toContain(token);
  });

  it('refuses an installation token once it has expired, with 401', async () => {
    const { token } = await mint(12);
    vi.useFakeTimers({ toFake: ['Date'] });

    vi.setSystemTime(Date.now() + 3599_000);
    expect((await call('/repos/globex/core', `token ${token}`)).status).toBe(200);
    vi.setSystemTime(Date.now() + 1_000);
    expect(await call('/repos/globex/core', `token ${token}`)).toEqual({
      status: 401,
      body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
    });
  });

  it('answers 404 for an installation the app does not have', async () => {
    const { status } = await call('/app/installations/99/access_tokens', `Bearer ${signedJwt(keys.privateKey)}`, 'POST');

    expect(status).toBe(404);
  });

  it.each([
    ['signed with another key', () => `Bearer ${signedJwt(otherKeys.privateKey)}`, 'A JSON web token could not be decoded'],
    ['not a JWT (the personal token)', () => 'Bearer ghp_personal', 'A JSON web token could not be decoded'],
    ['sent as a token instead of Bearer', () => `token ${signedJwt(keys.privateKey)}`, 'A JSON web token could not be decoded'],
    [
      'declaring another algorithm',
      () => `Bearer ${signedJwt(keys.privateKey, {}, { alg: 'HS256' })}`,
      'A JSON web token could not be decoded',
    ],
    ['issued by another app', () => `Bearer ${signedJwt(keys.privateKey, { iss: APP_ID + 1 })}`, 'Integration not found'],
    [
      'issued more than 60 s ahead of the clock',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${signedJwt(keys.privateKey, { iat: now + 61, exp: now + 600 })}`;
      },
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    ],
    [
      'expired',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${signedJwt(keys.privateKey, { iat: now - 600, exp: now - 1 })}`;
      },
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    ],
    [
      'living more than 10 minutes',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${signedJwt(keys.privateKey, { iat: now - 60, exp: now + 541 })}`;
      },
      "'Expiration time' claim ('exp') is too far in the future",
    ],
  ])('refuses a JWT %s with 401 and GitHub message', async (_case, authorization, message) => {
    const { status, body } = await call('/app/installations', authorization());

    expect(status).toBe(401);
    expect(body.message).toBe(message);
  });

  it('accepts a JWT issued 60 s ahead of its clock, and one living exactly 10 minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = signedJwt(keys.privateKey, { iat: now + 60, exp: now + 600 });
    const longest = signedJwt(keys.privateKey, { iat: now - 1, exp: now + 599 });

    expect((await call('/app/installations', `Bearer ${ahead}`)).status).toBe(200);
    expect((await call('/app/installations', `Bearer ${longest}`)).status).toBe(200);
  });

  it('gives each installation its own primary rate limit, apart from the personal token', async () => {
    const { token } = await mint(12);
    const tokenLeft = github.rateLimitRemaining;
    const acmeLeft = github.rateLimitRemainingOf('installation:11');

    const read = await fetch(`${github.url}/repos/globex/core`, { headers: { authorization: `token ${token}` } });
    expect(read.headers.get('x-ratelimit-remaining')).toBe(String(github.rateLimitRemainingOf('installation:12')));
    expect([github.rateLimitRemaining, github.rateLimitRemainingOf('installation:11')]).toEqual([tokenLeft, acmeLeft]);

    github.setRateLimit(0, Math.floor(Date.now() / 1000) + 600, 429, 'installation:12');
    expect((await call('/repos/globex/core', `token ${token}`)).status).toBe(429);
    expect((await call('/repos/globex/core', 'token ghp_personal')).status).toBe(200);
    github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600, 403, 'installation:12');
  });

  it('keeps serving the personal token beside the app', async () => {
    expect((await call('/repos/globex/core', 'token ghp_personal')).status).toBe(200);
    expect((await call('/repos/globex/core', 'token ghs_unknown')).status).toBe(401);
    expect((await call('/installation/repositories', 'token ghp_personal')).status).toBe(403);
  });
});
