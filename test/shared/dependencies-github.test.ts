import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { gitHub } from '../../shared/dependencies.ts';
import { ENV } from '../../shared/environment.ts';
import { APP_ID, appKeys, fakeApp } from '../support/github-app.ts';

const keys = appKeys();
let github: GitHubServer;
beforeAll(async () => {
  github = await GitHubServer.start({
    token: 'ghp_personal',
    repositories: [
      { fullName: 'acme/api', id: 1, issues: [] },
      { fullName: 'globex/core', id: 3, issues: [] },
    ],
    app: fakeApp(keys.publicKey, [
      { id: 11, account: 'acme', repositories: ['acme/api'] },
      { id: 12, account: 'globex', repositories: ['globex/core'] },
    ]),
  });
});
afterAll(async () => github?.close());
afterEach(() => vi.unstubAllEnvs());

const localEnvironment = (app: boolean) => {
  vi.stubEnv(ENV.githubApiUrl, github.url);
  vi.stubEnv('GITHUB_TOKEN', 'ghp_personal');
  if (!app) return;
  vi.stubEnv(ENV.githubAppId, String(APP_ID));
  vi.stubEnv(ENV.githubAppPrivateKey, keys.privateKey);
};

describe('gitHub()', () => {
  it('gives every repository the personal token client when no app is configured', async () => {
    localEnvironment(false);
    const access = gitHub();

    const client = await access({ fullName: 'globex/core' });

    expect(client.budgetKey).toBe('token');
    expect(await access()).toBe(client);
    expect((await client.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'core' })).status).toBe(200);
  });

  it("gives a repository its installation's client, and discovery the org's installation, when GITHUB_APP_ID is set", async () => {
    localEnvironment(true);
    vi.stubEnv(ENV.githubOrg, 'globex');
    const access = gitHub();

    expect((await access({ fullName: 'acme/api' })).budgetKey).toBe('installation:11');
    expect((await access()).budgetKey).toBe('installation:12');
  });

  it('uses only the installations GITHUB_APP_INSTALLATION_IDS lists', async () => {
    localEnvironment(true);
    vi.stubEnv(ENV.githubAppInstallationIds, '[12]');

    await expect(gitHub()({ fullName: 'acme/api' })).rejects.toMatchObject({ name: 'RepositoryNotFoundError' });
  });

  it('names a bad GITHUB_APP_INSTALLATION_IDS', () => {
    localEnvironment(true);
    vi.stubEnv(ENV.githubAppInstallationIds, '[0]');

    expect(() => gitHub()).toThrow(
      'environment variable GITHUB_APP_INSTALLATION_IDS is invalid: 0: 0 is not an installation id (a positive whole number)',
    );
  });

  it('fails with a ConfigError naming the secret variable when the app has no key', async () => {
    localEnvironment(true);
    vi.stubEnv(ENV.githubAppPrivateKey, '');
    // A fresh container: the key read by the tests above is kept for five minutes.
    vi.resetModules();
    const fresh = (await import('../../shared/dependencies.ts')).gitHub;

    await expect(fresh()({ fullName: 'acme/api' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: 'neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_SECRET is set',
    });
  });
});
