/**
 * Redelivery with a GitHub App of several installations: a repository's or an organization's hook is read and
 * redelivered through the installation on it (another installation's token is answered 404, as on GitHub), the app's
 * own hook with the app's JWT. Against the loopback GitHub's deliveries API, the runtime's endpoint and queue.
 */
import { createAppAuth } from '@octokit/auth-app';
import { describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import type { WebhookHook } from '../../shared/config.ts';
import { GitHubApp } from '../../shared/github/app.ts';
import { GitHub, gitHubOptions } from '../../shared/github/client.ts';
import type { Secret } from '../../shared/secret.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { RedeliveryRequestsStore } from '../../shared/store/redelivery-requests-store.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { clientForHook, hookDeliveriesApi } from '../../shared/webhooks/hook-deliveries-api.ts';
import { redeliverFailed } from '../../shared/webhooks/redeliver-failed.ts';
import { GITHUB_TOKEN } from '../support/daily.ts';
import { APP_ID, appKeys, fakeApp } from '../support/github-app.ts';
import { fakeIssue } from '../support/github-issues.ts';
import { useWebhookRuntime } from '../support/webhooks.ts';

const SECRET = 'the webhook secret of the app redelivery tests';
const keys = appKeys();
// Two installations: the hooks watched are on the second one's account.
const github = await GitHubServer.start({
  token: GITHUB_TOKEN,
  repositories: [
    { fullName: 'acme/api', id: 1, issues: [] },
    { fullName: 'globex/web', id: 2, issues: [] },
  ],
  app: fakeApp(keys.publicKey, [
    { id: 7, account: 'acme', repositories: ['acme/api'] },
    { id: 8, account: 'globex', repositories: ['globex/web'] },
  ]),
});
const { webhooks } = await useWebhookRuntime(github, SECRET);
const REPOSITORY_HOOK: WebhookHook = { repository: 'globex/web', id: 51 };
const ORG_HOOK: WebhookHook = { org: 'globex', id: 52 };
github.addHook({ id: 51, url: webhooks.url, secret: SECRET, target: { repository: 'globex/web' } });
github.addHook({ id: 52, url: webhooks.url, secret: SECRET, target: { org: 'globex' } });

const privateKey: Secret = Object.assign(async () => keys.privateKey, { reread: async () => keys.privateKey });
const app = new GitHubApp({ baseUrl: github.url, appId: APP_ID, privateKey });
const appJwtClient = new GitHub({
  ...gitHubOptions(github.url),
  authStrategy: createAppAuth,
  auth: { appId: APP_ID, privateKey: keys.privateKey },
});
const requests = new RedeliveryRequestsStore(documentClient, process.env[WEBHOOK_ENV.deliveriesTable]!);

/** Opens a bug on globex/web while both hooks cannot reach the endpoint. */
async function openBugMissed(title: string) {
  github.hooks.failNext(51);
  github.hooks.failNext(52);
  const { number: _, ...bug } = fakeIssue(0, new Date().toISOString().replace(/\.\d+Z$/, 'Z'), { title });
  const opened = await github.openIssue('globex/web', bug);
  expect(opened.deliveries.map((delivery) => delivery.statusCode)).toEqual([0, 0]);
}

describe('the redelivery of failed webhook deliveries with a GitHub App of several installations', () => {
  it('is refused (404) when every hook is read through the app’s first installation', async () => {
    await openBugMissed('Missed, read through the wrong installation');
    const firstInstallation = hookDeliveriesApi(() => app.clientForAccount());

    await expect(redeliverFailed({ api: firstInstallation, requests }, [REPOSITORY_HOOK], new Date())).rejects.toMatchObject({
      status: 404,
    });
    await expect(redeliverFailed({ api: firstInstallation, requests }, [ORG_HOOK], new Date())).rejects.toMatchObject({ status: 404 });
  });

  it('reads and redelivers a repository’s and an organization’s hook through the installation on each', async () => {
    const api = hookDeliveriesApi(
      clientForHook({
        forRepository: (fullName) => app.clientFor({ fullName }),
        forOrg: (org) => app.clientForAccount(org),
        forApp: async () => appJwtClient,
      }),
    );

    const outcome = await redeliverFailed({ api, requests }, [REPOSITORY_HOOK, ORG_HOOK], new Date());
    await github.hooks.settled();
    await webhooks.queues.settled();

    // The same event missed by both hooks: one GUID, asked for once (through the first hook that lists it).
    expect(outcome).toMatchObject({ hooks: 2, failed: 2, requested: 1, alreadyRequested: 1, refused: [] });
    expect(github.hooks.deliveries.filter((delivery) => delivery.redelivery)).toMatchObject([{ hookId: 51, statusCode: 202 }]);
  });
});
