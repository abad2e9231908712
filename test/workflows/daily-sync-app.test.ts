import { afterAll, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { ENV } from '../../shared/environment.ts';
import { addProjects, fast, generateIssues, nextSlot } from '../support/daily.ts';
import { APP_ID, appKeys, fakeApp } from '../support/github-app.ts';

/** The daily job authenticated as a GitHub App with two installations, one repository no installation sees. */
const keys = appKeys();
const github = await GitHubServer.start({
  repositories: [
    { fullName: 'acme/api', id: 1, issues: generateIssues(150) },
    { fullName: 'globex/core', id: 2, issues: generateIssues(40) },
    { fullName: 'initech/tps', id: 3, issues: generateIssues(5) },
  ],
  app: fakeApp(keys.publicKey, [
    { id: 11, account: 'acme', repositories: ['acme/api'] },
    { id: 12, account: 'globex', repositories: ['globex/core'] },
  ]),
});
const runtime = await LocalRuntime.start({
  context: readCdkContext(PROJECT_ROOT),
  github: { apiUrl: github.url, token: 'ghp_unused' },
  environment: {
    GITHUB_RETRY_BASE_MS: '5',
    [ENV.githubAppId]: String(APP_ID),
    [ENV.githubAppPrivateKey]: keys.privateKey,
  },
});
afterAll(async () => {
  await runtime.close();
  await github.close();
});

describe('the daily job as a GitHub App', () => {
  it("syncs each project through its installation's token and budget, and fails alone a project no installation sees", async () => {
    await addProjects(runtime, 'acme/api', 'globex/core', 'initech/tps');

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 190, recordsFailed: 1 });
    expect(await runtime.stores.items.listForProject('acme/api')).toHaveLength(150);
    expect(await runtime.stores.items.listForProject('globex/core')).toHaveLength(40);
    expect((await runtime.stores.projects.get('initech/tps'))?.failure?.lastError).toBe(
      'RepositoryNotFoundError: no installation of GitHub App 4242 can see initech/tps (installations: 11, 12): ' +
        'install the app on its owner or give the installation access to the repository',
    );
    // Each installation minted its own token and spent its own budget; the personal token's was never used.
    expect(github.mintedTokens.get(11)?.length).toBeGreaterThanOrEqual(1);
    expect(github.mintedTokens.get(12)?.length).toBeGreaterThanOrEqual(1);
    expect(github.rateLimitRemainingOf('installation:11')).toBeLessThan(5000 - 2);
    expect(github.rateLimitRemainingOf('installation:12')).toBeLessThan(5000 - 1);
    expect(github.rateLimitRemaining).toBe(5000);
    expect(github.requests.filter((request) => request.path.startsWith('/repos/initech/'))).toEqual([]);
  });
});
