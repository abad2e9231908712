/**
 * Nothing missed: a delivery the endpoint never got (GitHub records it failed) is found in the hook's deliveries,
 * redelivered by GitHub on request (same GUID, same signed body) through the local endpoint, and applied once; it is
 * asked for once only, whatever becomes of the redelivery. Repository, organization and GitHub App hooks, against the
 * loopback GitHub's deliveries API, the runtime's endpoint, queue and consumer, and the WebhookDeliveries table.
 */
import { createAppAuth } from '@octokit/auth-app';
import { beforeAll, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import type { WebhookHook } from '../../shared/config.ts';
import { createGitHubClient, GitHub, gitHubOptions } from '../../shared/github/client.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { RedeliveryRequestsStore } from '../../shared/store/redelivery-requests-store.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { hookDeliveriesApi } from '../../shared/webhooks/hook-deliveries-api.ts';
import { REDELIVERY_WINDOW_MS, redeliverFailed } from '../../shared/webhooks/redeliver-failed.ts';
import { addProjects, GITHUB_TOKEN } from '../support/daily.ts';
import { APP_ID, appKeys, fakeApp } from '../support/github-app.ts';
import { fakeIssue } from '../support/github-issues.ts';
import { useWebhookRuntime } from '../support/webhooks.ts';

const SECRET = 'the webhook secret of the redelivery tests';
const REPOSITORY_HOOK: WebhookHook = { repository: 'acme/api', id: 21 };
const ORG_HOOK: WebhookHook = { org: 'globex', id: 22 };
const APP_HOOK: WebhookHook = { app: true };
const keys = appKeys();

const github = await GitHubServer.start({
  token: GITHUB_TOKEN,
  repositories: [
    { fullName: 'acme/api', id: 1, issues: [] },
    { fullName: 'globex/web', id: 2, issues: [] },
    { fullName: 'initech/svc', id: 3, issues: [] },
  ],
  app: fakeApp(keys.publicKey, [{ id: 7, account: 'initech', repositories: ['initech/svc'] }]),
});
const { runtime, webhooks } = await useWebhookRuntime(github, SECRET);
github.addHook({ id: 21, url: webhooks.url, secret: SECRET, target: { repository: 'acme/api' } });
github.addHook({ id: 22, url: webhooks.url, secret: SECRET, target: { org: 'globex' } });
github.addHook({ id: 23, url: webhooks.url, secret: SECRET, target: { app: true } });

const tokenClient = createGitHubClient({ baseUrl: github.url, token: GITHUB_TOKEN });
const appClient = new GitHub({
  ...gitHubOptions(github.url),
  authStrategy: createAppAuth,
  auth: { appId: APP_ID, privateKey: keys.privateKey },
});
const deps = {
  api: hookDeliveriesApi(async (hook) => ('app' in hook ? appClient : tokenClient)),
  requests: new RedeliveryRequestsStore(documentClient, process.env[WEBHOOK_ENV.deliveriesTable]!),
};
/** The hourly step's work at `now`, then every redelivery answered and every queued delivery applied. */
async function redeliver(hooks: readonly WebhookHook[], now = new Date(), maxRequests?: number) {
  const outcome = await redeliverFailed(deps, hooks, now, maxRequests);
  await github.hooks.settled();
  await webhooks.queues.settled();
  return outcome;
}

/** The projects' first sync, which the consumer waits for before applying anything to a project. */
beforeAll(async () => {
  await addProjects(runtime, 'acme/api', 'globex/web', 'initech/svc');
  const daily = await runtime.runJob('daily', { at: new Date('2026-11-28T02:00:00Z'), retryIntervalMs: 0, waitMs: 0 });
  expect(daily.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
});

/** Opens a bug while the endpoint cannot be reached by the hook: GitHub records the delivery failed. */
async function openBugMissed(repository: string, hookId: number, title: string) {
  github.hooks.failNext(hookId);
  const { number: _, ...bug } = fakeIssue(0, new Date().toISOString().replace(/\.\d+Z$/, 'Z'), { title });
  const opened = await github.openIssue(repository, bug);
  expect(opened.deliveries).toMatchObject([{ status: 'failed to connect', statusCode: 0, redelivery: false }]);
  return opened;
}
const stored = async (repository: string, number: number) =>
  (await runtime.stores.items.listForProject(repository)).find((item) => item.number === number);
const queuedFor = (guid: string) => webhooks.queues.sent.filter((message) => message.body.includes(guid));

describe('the redelivery of failed webhook deliveries', () => {
  it('has GitHub redeliver a delivery the endpoint missed, which is then applied once, and asks nothing more next time', async () => {
    const { number, deliveries } = await openBugMissed('acme/api', 21, 'Missed by the endpoint');
    const guid = deliveries[0]!.guid;
    expect(await stored('acme/api', number)).toBeUndefined();

    const first = await redeliver([REPOSITORY_HOOK]);
    const second = await redeliver([REPOSITORY_HOOK]);

    expect(first).toMatchObject({ hooks: 1, failed: 1, requested: 1, alreadyRequested: 0 });
    expect(second).toMatchObject({ failed: 0, requested: 0 });
    expect(github.hooks.deliveries.filter((delivery) => delivery.guid === guid)).toMatchObject([
      { redelivery: false, status: 'failed to connect' },
      { redelivery: true, status: 'OK', statusCode: 202 },
    ]);
    expect(await stored('acme/api', number)).toMatchObject({ title: 'Missed by the endpoint', state: 'open' });
    expect(queuedFor(guid)).toHaveLength(1);
  });

  it('asks for a failed delivery once only, even when its redelivery fails too', async () => {
    const { deliveries } = await openBugMissed('acme/api', 21, 'Missed twice');
    const guid = deliveries[0]!.guid;
    const requestsBefore = github.hooks.redeliveryRequests.length;
    // The redelivery meets the endpoint down as well.
    github.hooks.failNext(21);

    const first = await redeliver([REPOSITORY_HOOK]);
    const second = await redeliver([REPOSITORY_HOOK]);

    expect(first).toMatchObject({ failed: 1, requested: 1 });
    expect(second).toMatchObject({ failed: 1, requested: 0, alreadyRequested: 1 });
    expect(github.hooks.redeliveryRequests.length).toBe(requestsBefore + 1);
    expect(queuedFor(guid)).toEqual([]);
  });

  it('asks for each failed delivery on its own: one GitHub refuses is recorded and reported, the others are redelivered', async () => {
    // The earlier tests' failures, asked for already.
    const earlier = (await redeliver([REPOSITORY_HOOK])).failed;
    const refusedBug = await openBugMissed('acme/api', 21, 'Refused by GitHub');
    const takenBug = await openBugMissed('acme/api', 21, 'Taken by GitHub');
    const refusedAttempt = refusedBug.deliveries[0]!;
    github.injectFaults(`/repos/acme/api/hooks/21/deliveries/${refusedAttempt.id}/attempts`, { status: 422 });

    const first = await redeliver([REPOSITORY_HOOK]);
    const second = await redeliver([REPOSITORY_HOOK]);

    expect(first).toMatchObject({ failed: earlier + 2, requested: 1, retryLater: 0 });
    expect(first.refused).toEqual([
      { guid: refusedAttempt.guid, deliveryId: refusedAttempt.id, status: 422, message: expect.any(String) },
    ]);
    expect(await stored('acme/api', takenBug.number)).toMatchObject({ title: 'Taken by GitHub' });
    expect(await stored('acme/api', refusedBug.number)).toBeUndefined();
    // The refusal is kept: asking again would be refused the same way.
    expect(second).toMatchObject({ failed: earlier + 1, requested: 0, alreadyRequested: earlier + 1, refused: [] });
  });

  it('asks again, an hour later, for a delivery a run claimed but stopped before asking GitHub for, and then only once', async () => {
    const earlier = (await redeliver([REPOSITORY_HOOK])).failed;
    const { number, deliveries } = await openBugMissed('acme/api', 21, 'Claimed by a run that stopped');
    const stoppedRunAt = new Date();
    // The run that stopped: its claim is written, its request never sent.
    expect(await deps.requests.claim(deliveries[0]!.guid, stoppedRunAt)).toBe(true);

    const sameHour = await redeliver([REPOSITORY_HOOK], new Date(stoppedRunAt.getTime() + 60_000));
    const nextHour = await redeliver([REPOSITORY_HOOK], new Date(stoppedRunAt.getTime() + 3_600_000));
    const hourAfter = await redeliver([REPOSITORY_HOOK], new Date(stoppedRunAt.getTime() + 2 * 3_600_000));

    expect(sameHour).toMatchObject({ failed: earlier + 1, requested: 0, alreadyRequested: earlier + 1 });
    expect(nextHour).toMatchObject({ failed: earlier + 1, requested: 1 });
    expect(hourAfter).toMatchObject({ failed: earlier, requested: 0 });
    expect(await stored('acme/api', number)).toMatchObject({ title: 'Claimed by a run that stopped' });
    expect(queuedFor(deliveries[0]!.guid)).toHaveLength(1);
  });

  it('leaves a failed delivery older than GitHub’s 3-day window alone', async () => {
    await openBugMissed('acme/api', 21, 'Missed long ago');

    const outcome = await redeliver([REPOSITORY_HOOK], new Date(Date.now() + REDELIVERY_WINDOW_MS + 60_000));

    expect(outcome).toMatchObject({ listed: 0, failed: 0, requested: 0 });
  });

  it('redelivers through an organization’s hook and through the GitHub App’s hook (its JWT)', async () => {
    const orgBug = await openBugMissed('globex/web', 22, 'Missed by the org hook');
    const appBug = await openBugMissed('initech/svc', 23, 'Missed by the app hook');

    const outcome = await redeliver([ORG_HOOK, APP_HOOK]);

    expect(outcome).toMatchObject({ hooks: 2, failed: 2, requested: 2 });
    expect(await stored('globex/web', orgBug.number)).toMatchObject({ title: 'Missed by the org hook' });
    expect(await stored('initech/svc', appBug.number)).toMatchObject({ title: 'Missed by the app hook' });
    expect(
      github.requests.filter((request) => request.path.endsWith('/attempts')).map((request) => request.path.split('/deliveries')[0]),
    ).toEqual(expect.arrayContaining(['/orgs/globex/hooks/22', '/app/hook']));
  });

  it('reads every page of a hook’s deliveries (100 a page, the cursor in the Link header), asking for its maximum a run', async () => {
    // The earlier tests' failures, once this run has asked for those it still may.
    await redeliver([REPOSITORY_HOOK]);
    const alreadyFailed = (await redeliver([REPOSITORY_HOOK])).failed;
    const missed: string[] = [];
    for (let i = 0; i < 110; i++) missed.push((await openBugMissed('acme/api', 21, `Missed in a burst ${i}`)).deliveries[0]!.guid);
    const listingsBefore = github.requests.length;

    // Octokit sends a POST a second: a run asks for a few here, the rest are left for the next runs.
    const first = await redeliver([REPOSITORY_HOOK], new Date(), 3);
    const second = await redeliver([REPOSITORY_HOOK], new Date(), 3);

    expect(first).toMatchObject({ listed: expect.any(Number), failed: alreadyFailed + missed.length, requested: 3 });
    expect(first.deferred).toBe(first.failed - 3);
    expect(second).toMatchObject({ requested: 3, alreadyRequested: 0, deferred: first.deferred - 3 });
    const listings = github.requests
      .slice(listingsBefore)
      .filter((request) => request.path.startsWith('/repos/acme/api/hooks/21/deliveries?'));
    expect(listings.map((request) => request.path.includes('cursor=v1_'))).toEqual([false, true, false, true]);
  });
});
