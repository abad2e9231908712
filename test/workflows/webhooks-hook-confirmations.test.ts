/**
 * A healthy webhook confirms its quiet repositories, through the synthesized hourly state machine with webhooks on (a
 * project is stale after 2 hours unconfirmed) and a repository hook configured for each project: a project nobody
 * touched for 3 hours after its sync is not stale, its hook having nothing outstanding; one whose hook holds a failed
 * delivery that its redelivery could not deliver either goes stale and is alerted on.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { newProject } from '../../shared/domain/project.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { GITHUB_TOKEN } from '../support/daily.ts';
import { fakeIssue } from '../support/github-issues.ts';
import { hourlyAlertMessages } from '../support/hourly.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const SECRET = 'the webhook secret of the hook confirmation tests';
const HOUR = 3_600_000;
/**
 * The projects' last sync: 2 h 45 min before the wall clock, so the hourly run at hour(3), a quarter of an hour from
 * now, comes after the deliveries below (GitHub stamps them with the wall clock).
 */
const T0 = Math.floor((Date.now() - 2.75 * HOUR) / 1000) * 1000;
const hour = (n: number) => new Date(T0 + n * HOUR);

const sns = mockClient(SNSClient);
sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
const github = await GitHubServer.start({
  token: GITHUB_TOKEN,
  repositories: [
    { fullName: 'acme/api', id: 1, issues: [] },
    { fullName: 'acme/web', id: 2, issues: [] },
  ],
});
const context = readCdkContext(PROJECT_ROOT);
const hooks = [
  { repository: 'acme/api', id: 21 },
  { repository: 'acme/web', id: 22 },
];
const runtime = await startTestRuntime({
  context: { ...context, ctoJobs: { ...(context.ctoJobs as object), webhooks: { hooks } } },
  github: { apiUrl: github.url, token: GITHUB_TOKEN },
  environment: { [WEBHOOK_ENV.secret]: SECRET },
  alertsFile: undefined,
});
afterAll(async () => {
  await runtime.close();
  await github.close();
});

const messages = () => hourlyAlertMessages(sns);

describe('the hourly job with a repository hook configured for each project', () => {
  it('keeps a quiet project whose hook has nothing outstanding fresh, and alerts on one whose failed delivery stays failed', async () => {
    for (const repository of ['acme/api', 'acme/web']) {
      await runtime.stores.projects.save(newProject({ repository }, hour(-48)));
      await runtime.stores.projects.saveSyncState(repository, { page: 1, lastSyncedAt: hour(0).toISOString() });
    }
    for (const hook of hooks) github.addHook({ id: hook.id, url: runtime.webhooks!.url, secret: SECRET, target: hook });
    // The endpoint cannot be reached for acme/web's hook: the delivery and the redelivery the run asks for both fail.
    github.hooks.failNext(22, 2);
    const { number: _, ...bug } = fakeIssue(0, hour(2.5).toISOString(), { created_at: hour(2.5).toISOString() });
    const { deliveries } = await github.openIssue('acme/web', bug);
    expect(deliveries.map((delivery) => delivery.statusCode)).toEqual([0]);

    const result = await runtime.runJob('hourly', { at: hour(3), retryIntervalMs: 0 });
    await github.hooks.settled();

    expect(result.run, `${result.run?.errorName}: ${result.run?.errorMessage}`).toMatchObject({ status: 'completed' });
    expect(result.run?.summary).toContain('1 redelivered now');
    expect(result.run?.summary).toContain('1 project(s) confirmed by a hook with nothing outstanding');
    expect(github.hooks.deliveries.filter((delivery) => delivery.hookId === 22).map((delivery) => delivery.statusCode)).toEqual([0, 0]);
    const confirmedAt = Object.fromEntries(
      (await runtime.stores.projects.listActive()).map((project) => [project.projectId, project.webhookConfirmedAt]),
    );
    expect(confirmedAt).toEqual({ 'acme/api': hour(3).toISOString(), 'acme/web': undefined });
    // acme/api, untouched for 3 hours since its sync, is confirmed by its hook; acme/web is 3 hours unconfirmed.
    expect(messages()).toEqual([
      'NEW: Project data not confirmed\n' +
        '  acme/web: data not confirmed for over 2 h\n' +
        `  last confirmed 3 h ago (last sync ${hour(0).toISOString()}, no webhook applied); limit 2 h`,
    ]);
  });
});
