/**
 * Repository events end to end, locally: the loopback GitHub renames and archives a repository and delivers GitHub's
 * signed `repository` events to the stack's endpoint on loopback, whose queue's consumer renames the project (its
 * projectId kept) and deactivates it (a `discovery` SyncEvent at warn level), with no daily run in between; the
 * renamed repository's later deliveries, which name its new name, reach the project by GitHub's repository id.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
import { addProjects, GITHUB_TOKEN } from '../support/daily.ts';
import { fakeIssue } from '../support/github-issues.ts';
import { useWebhookRuntime } from '../support/webhooks.ts';

const SECRET = 'the webhook secret of the repository event tests';
const HOOK_ID = 31;

const github = await GitHubServer.start({
  token: GITHUB_TOKEN,
  repositories: [
    { fullName: 'acme/api', id: 42, issues: [fakeIssue(1, '2026-11-20T08:00:00Z', { labels: ['bug', 'high'] })] },
    { fullName: 'acme/web', id: 43, issues: [fakeIssue(1, '2026-11-20T08:00:00Z')] },
  ],
});
const { runtime, webhooks } = await useWebhookRuntime(github, SECRET);
github.addHook({ id: HOOK_ID, url: webhooks.url, secret: SECRET, target: { org: 'acme' } });

/** The first sync, which learns nothing of a rename yet: the project knows the repository by the name it was added with. */
beforeAll(async () => {
  await addProjects(runtime, 'acme/api', 'acme/web');
  const daily = await runtime.runJob('daily', { at: new Date('2026-11-28T02:00:00Z'), retryIntervalMs: 0, waitMs: 0 });
  expect(daily.run).toMatchObject({ status: 'completed' });
});
const dailyRuns = async () => (await runtime.stores.runs.listRecent({ jobType: JOB_NAMES.daily, limit: 10 })).length;

describe('a repository renamed or archived on GitHub changes its project through a signed webhook delivery', () => {
  it('follows a rename, then deactivates the project once the repository is archived, with no daily run', async () => {
    const dailyRunsBefore = await dailyRuns();

    const renamed = await github.rename('acme/api', 'acme/platform');
    await webhooks.queues.settled();
    const afterRename = await runtime.stores.projects.get('acme/api');
    const archived = await github.archive('acme/platform');
    await webhooks.queues.settled();
    const afterArchive = await runtime.stores.projects.get('acme/api');

    expect([...renamed, ...archived].map(({ event, action, statusCode }) => ({ event, action, statusCode }))).toEqual([
      { event: 'repository', action: 'renamed', statusCode: 202 },
      { event: 'repository', action: 'archived', statusCode: 202 },
    ]);
    expect(afterRename).toMatchObject({ projectId: 'acme/api', fullName: 'acme/platform', active: true });
    expect(afterArchive).toMatchObject({ projectId: 'acme/api', fullName: 'acme/platform', active: false });
    const [deactivation] = await runtime.stores.events.listRecent({ eventType: 'discovery', limit: 10 });
    expect(deactivation).toMatchObject({
      level: 'warn',
      project: 'acme/platform',
      message: expect.stringContaining('acme/api deactivated'),
      runId: expect.stringMatching(/^webhook#/),
    });
    // Its stored items are kept.
    expect(await runtime.stores.items.listForProject('acme/api')).toHaveLength(1);
    expect(await dailyRuns()).toBe(dailyRunsBefore);
  });
});

describe("a renamed repository's deliveries, naming its new name, reach its project", () => {
  it('applies an issue opened after the rename to the project under its first name, and confirms the project', async () => {
    await github.rename('acme/web', 'acme/frontend');
    await webhooks.queues.settled();
    const { number: _, ...bug } = fakeIssue(0, '2026-11-28T09:10:00Z', { labels: ['bug', 'critical'] });
    const opened = await github.openIssue('acme/frontend', bug);
    await webhooks.queues.settled();

    expect(opened.deliveries).toMatchObject([{ event: 'issues', action: 'opened', statusCode: 202 }]);
    expect(await runtime.stores.projects.get('acme/web')).toMatchObject({
      fullName: 'acme/frontend',
      repositoryId: 43,
      active: true,
      webhookConfirmedAt: expect.any(String),
    });
    expect((await runtime.stores.items.listForProject('acme/web')).map((item) => item.number)).toEqual([1, opened.number]);
    expect(await runtime.stores.projects.get('acme/frontend')).toBeUndefined();
  });
});
