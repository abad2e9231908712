import { createPrivateKey } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { GitHubApp, RELIST_AFTER_MS } from '../../../shared/github/app.ts';
import { createGitHubClient } from '../../../shared/github/client.ts';
import type { Secret } from '../../../shared/secret.ts';
import { APP_ID, appKeys, fakeApp } from '../../support/github-app.ts';
import { fakeIssue as issue } from '../../support/github-issues.ts';

const keys = appKeys();
const fixed = (value: string): Secret => Object.assign(async () => value, { reread: async () => value });
const HOUR_MS = 3_600_000;

let github: GitHubServer;
const startGitHub = () =>
  GitHubServer.start({
    repositories: [
      { fullName: 'acme/api', id: 1, issues: [issue(1)] },
      { fullName: 'acme/web', id: 2, issues: [issue(2)] },
      { fullName: 'globex/core', id: 3, issues: [issue(3)] },
      { fullName: 'initech/tps', id: 4, issues: [issue(4)] },
    ],
    app: fakeApp(keys.publicKey, [
      { id: 11, account: 'acme', repositories: ['acme/api', 'acme/web'] },
      { id: 12, account: 'globex', repositories: ['globex/core'] },
    ]),
  });
const appOf = (options: { installationIds?: number[]; privateKey?: string } = {}) =>
  new GitHubApp({
    baseUrl: github.url,
    appId: APP_ID,
    privateKey: fixed(options.privateKey ?? keys.privateKey),
    installationIds: options.installationIds,
    retryAfterBaseValue: 1,
  });
const minted = (installationId: number) => github.mintedTokens.get(installationId)?.length ?? 0;
const listings = () => github.requests.filter((request) => request.path.startsWith('/app/installations?')).length;

afterEach(() => vi.useRealTimers());

describe('GitHubApp', () => {
  beforeAll(async () => {
    github = await startGitHub();
  });
  afterAll(async () => github?.close());
  beforeEach(() => {
    github.clearRequests();
    github.mintedTokens.clear();
  });

  it('reads each repository through the installation that sees it, one token and one budget per installation', async () => {
    const app = appOf();

    const acme = await app.clientFor({ fullName: 'acme/api' });
    const globex = await app.clientFor({ fullName: 'Globex/Core' });
    const acmeWeb = await app.clientFor({ fullName: 'acme/web' });

    expect([acme.budgetKey, globex.budgetKey]).toEqual(['installation:11', 'installation:12']);
    expect(acmeWeb).toBe(acme);
    for (let i = 0; i < 3; i++) {
      expect((await acme.request('GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'web' })).status).toBe(200);
      expect((await globex.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'core' })).status).toBe(200);
    }
    // One token per installation, minted for the listing of its repositories and reused after.
    expect([minted(11), minted(12)]).toEqual([1, 1]);
    expect(createGitHubClient({ baseUrl: github.url, token: 'ghp_personal' }).budgetKey).toBe('token');
  });

  it("finds a renamed repository's installation by its id", async () => {
    const client = await appOf().clientFor({ fullName: 'acme/old-name', repositoryId: 2 });

    expect(client.budgetKey).toBe('installation:11');
  });

  it('fails a repository no installation sees with an error naming it, after listing the installations again', async () => {
    let now = Date.parse('2026-11-28T02:00:00Z');
    const app = new GitHubApp({ baseUrl: github.url, appId: APP_ID, privateKey: fixed(keys.privateKey), clock: () => now });
    await app.clientFor({ fullName: 'acme/api' });
    const unseen = {
      name: 'RepositoryNotFoundError',
      message:
        'no installation of GitHub App 4242 can see initech/tps (installations: 11, 12): ' +
        'install the app on its owner or give the installation access to the repository',
    };

    // The listing in hand is less than a minute old: it already answers.
    now += RELIST_AFTER_MS - 1;
    await expect(app.clientFor({ fullName: 'initech/tps' })).rejects.toMatchObject(unseen);
    expect(listings()).toBe(1);
    now += 1;
    await expect(app.clientFor({ fullName: 'initech/tps' })).rejects.toMatchObject(unseen);
    expect(listings()).toBe(2);
    // Unseen repositories at once share the fresh listing.
    await expect(Promise.all([app.clientFor({ fullName: 'initech/a' }), app.clientFor({ fullName: 'initech/b' })])).rejects.toMatchObject({
      name: 'RepositoryNotFoundError',
    });
    expect(listings()).toBe(2);
    // The other repositories keep their installation.
    expect((await app.clientFor({ fullName: 'globex/core' })).budgetKey).toBe('installation:12');
  });

  it('finds a repository the app was installed on since its listing, once that listing is a minute old', async () => {
    let now = Date.parse('2026-11-28T02:00:00Z');
    const app = new GitHubApp({ baseUrl: github.url, appId: APP_ID, privateKey: fixed(keys.privateKey), clock: () => now });
    await app.clientFor({ fullName: 'acme/api' });
    github.setInstallationAccess(12, 'initech/tps', true);

    try {
      now += RELIST_AFTER_MS;
      expect((await app.clientFor({ fullName: 'initech/tps' })).budgetKey).toBe('installation:12');
    } finally {
      github.setInstallationAccess(12, 'initech/tps', false);
    }
  });

  it('uses only the configured installations, and names one the app does not have', async () => {
    await expect(appOf({ installationIds: [12] }).clientFor({ fullName: 'acme/api' })).rejects.toMatchObject({
      name: 'RepositoryNotFoundError',
      message: expect.stringContaining('(installations: 12)'),
    });
    const unknown = appOf({ installationIds: [12, 99] }).clientFor({ fullName: 'globex/core' });
    await expect(unknown).rejects.toBeInstanceOf(ConfigError);
    await expect(unknown).rejects.toThrow('github.app.installationIds: 99 is not an installation of GitHub App 4242 (it has 11, 12)');
  });

  it("fails with AuthError when GitHub refuses the app's JWT (another key)", async () => {
    await expect(appOf({ privateKey: appKeys().privateKey }).clientFor({ fullName: 'acme/api' })).rejects.toMatchObject({
      name: 'AuthError',
      message: expect.stringContaining('A JSON web token could not be decoded'),
    });
  });

  it("picks an account's installation for org discovery", async () => {
    const app = appOf();

    expect((await app.clientForAccount('GLOBEX')).budgetKey).toBe('installation:12');
    expect((await app.clientForAccount()).budgetKey).toBe('installation:11');
    await expect(app.clientForAccount('initech')).rejects.toThrow('GitHub App 4242 has no installation on initech');
  });

  it('takes the private key in the PKCS#1 form GitHub hands out', async () => {
    const pkcs1 = createPrivateKey(keys.privateKey).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');

    expect((await appOf({ privateKey: pkcs1 }).clientFor({ fullName: 'acme/api' })).budgetKey).toBe('installation:11');
  });

  // Last in this file: the throttling plugin's limiters are module-wide and timed by the wall clock, so a clock moved an
  // hour ahead and back would hold the next token request for that hour.
  it('mints the next token before the hour is up: the cached one is used for 59 minutes, then renewed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = appOf();
    const client = await app.clientFor({ fullName: 'globex/core' });
    const read = () => client.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'core' });
    const [first] = github.mintedTokens.get(12)!;
    const start = Date.now();

    vi.setSystemTime(start + 58 * 60_000);
    await read();
    expect(github.mintedTokens.get(12)).toEqual([first]);

    vi.setSystemTime(start + 59 * 60_000 + 1_000);
    await read();
    expect(minted(12)).toBe(2);
    const [, second] = github.mintedTokens.get(12)!;

    // The first token would have been refused a minute later; the renewed one is used instead.
    vi.setSystemTime(start + HOUR_MS + 1_000);
    await read();
    const refused = await fetch(`${github.url}/repos/globex/core`, { headers: { authorization: `token ${first}` } });
    expect(refused.status).toBe(401);
    expect(github.mintedTokens.get(12)).toEqual([first, second]);
  });
});
