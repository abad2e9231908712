import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GitHubServer } from '../../../lib/local/github-server.ts';
import { GitHubApp } from '../../../shared/github/app.ts';
import type { Secret } from '../../../shared/secret.ts';
import { APP_ID, appKeys, fakeApp } from '../../support/github-app.ts';

// A file of its own: the throttling plugin's limiters are module-wide and timed by the wall clock this test moves.
const keys = appKeys();
const fixed = (value: string): Secret => Object.assign(async () => value, { reread: async () => value });

let github: GitHubServer;
beforeAll(async () => {
  // Tokens live 2 minutes here: auth-app still holds them for 59, as if GitHub had revoked them.
  github = await GitHubServer.start({
    repositories: [{ fullName: 'acme/api', id: 1, issues: [] }],
    app: fakeApp(keys.publicKey, [{ id: 11, account: 'acme', repositories: ['acme/api'] }], 120),
  });
});
afterAll(async () => {
  vi.useRealTimers();
  await github?.close();
});

describe('GitHubApp when GitHub refuses an installation token before auth-app renews it', () => {
  it('drops the refused token once: the requests refused together share one new token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const client = await new GitHubApp({ baseUrl: github.url, appId: APP_ID, privateKey: fixed(keys.privateKey) }).clientFor({
      fullName: 'acme/api',
    });
    expect((github.mintedTokens.get(11) ?? []).length).toBe(1);

    vi.setSystemTime(Date.now() + 121_000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.request('GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'api' })),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect((github.mintedTokens.get(11) ?? []).length).toBe(2);
    expect(github.requests.filter((request) => request.status === 401)).toHaveLength(10);
  });
});
