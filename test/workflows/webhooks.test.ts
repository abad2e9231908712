/**
 * Webhooks end to end, locally: the loopback GitHub delivers signed events for the changes it makes to the stack's
 * endpoint on loopback (the deployed handler, HTTP API payload 2.0), which queues them to the SQS stand-in, whose
 * consumer applies them; the hourly job's figures then follow, with no daily run in between.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
import { signatureOf } from '../../shared/webhooks/signature.ts';
import { addProjects, GITHUB_TOKEN } from '../support/daily.ts';
import { fakeIssue, issuePayload } from '../support/github-issues.ts';
import { useWebhookRuntime } from '../support/webhooks.ts';

const SECRET = 'the webhook secret of the workflow tests';
const HOOK_ID = 12;
const REPOSITORY = { fullName: 'acme/api', id: 42 };
const at = (time: string) => new Date(`2026-11-28T${time}Z`);

const github = await GitHubServer.start({
  token: GITHUB_TOKEN,
  repositories: [{ ...REPOSITORY, issues: [fakeIssue(1, '2026-11-20T08:00:00Z', { labels: ['bug', 'high'] })] }],
});
const { runtime, webhooks } = await useWebhookRuntime(github, SECRET);
github.addHook({ id: HOOK_ID, url: webhooks.url, secret: SECRET, target: { repository: REPOSITORY.fullName } });

/** The first sync, which the consumer waits for before applying anything to a project. */
beforeAll(async () => {
  await addProjects(runtime, REPOSITORY.fullName);
  const daily = await runtime.runJob('daily', { at: at('02:00:00'), retryIntervalMs: 0, waitMs: 0 });
  expect(daily.run).toMatchObject({ status: 'completed' });
});
beforeEach(() => github.clearRequests());

const hourly = async (time: string) => {
  const result = await runtime.runJob('hourly', { at: at(time), retryIntervalMs: 0 });
  expect(result.run, `${result.run?.errorName}: ${result.run?.errorMessage}`).toMatchObject({ status: 'completed' });
  return (await runtime.stores.snapshots.latestHourly(REPOSITORY.fullName, at(time)))!;
};
const dailyRuns = async () => (await runtime.stores.runs.listRecent({ jobType: JOB_NAMES.daily, limit: 10 })).length;

/** Posts a body to the local endpoint as GitHub would, signed with `secret` unless a signature is given. */
async function post(body: string, options: { event?: string; guid?: string; signature?: string | null; secret?: string } = {}) {
  const signature = options.signature === undefined ? signatureOf(body, options.secret ?? SECRET) : options.signature;
  const response = await fetch(webhooks.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': options.event ?? 'issues',
      'x-github-delivery': options.guid ?? randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body,
  });
  await webhooks.queues.settled();
  return { status: response.status, body: (await response.json()) as { message: string } };
}
const issuesEvent = (action: string, issue: Record<string, unknown>) =>
  JSON.stringify({ action, issue, repository: { id: REPOSITORY.id, full_name: REPOSITORY.fullName }, sender: { login: 'octocat' } });
const stored = async (number: number) =>
  (await runtime.stores.items.listForProject(REPOSITORY.fullName)).find((item) => item.number === number);

describe('a change made on GitHub reaches the hourly figures through a signed webhook delivery', () => {
  it('counts a new critical bug in the next hourly run, and drops it once closed, with no daily run in between', async () => {
    const dailyRunsBefore = await dailyRuns();
    const before = await hourly('09:00:00');

    const { number: _, ...criticalBug } = fakeIssue(0, '2026-11-28T09:10:00Z', {
      labels: ['bug', 'critical', 'revenue:5000'],
      created_at: '2026-11-28T09:10:00Z',
    });
    const opened = await github.openIssue(REPOSITORY.fullName, criticalBug);
    await webhooks.queues.settled();
    const withBug = await hourly('10:00:00');

    expect(opened.deliveries).toMatchObject([{ event: 'issues', action: 'opened', status: 'OK', statusCode: 202, redelivery: false }]);
    expect(withBug.openBySeverity.critical).toBe((before.openBySeverity.critical ?? 0) + 1);
    expect(withBug.unassignedCritical).toBe(before.unassignedCritical + 1);
    expect(withBug.revenueAtRisk).toBe(before.revenueAtRisk + 5000);

    const closed = await github.changeIssue(
      REPOSITORY.fullName,
      opened.number,
      { state: 'closed', closed_at: '2026-11-28T10:20:00Z', updated_at: '2026-11-28T10:20:00Z' },
      'closed',
    );
    await webhooks.queues.settled();
    const afterClosing = await hourly('11:00:00');

    expect(closed).toMatchObject([{ action: 'closed', status: 'OK', statusCode: 202 }]);
    expect(afterClosing.openBySeverity.critical ?? 0).toBe(before.openBySeverity.critical ?? 0);
    expect(afterClosing.revenueAtRisk).toBe(before.revenueAtRisk);
    expect(afterClosing.velocity.last7Days).toBe(before.velocity.last7Days + 1);
    // Nothing read the repository's issues from GitHub: the deliveries alone brought the change in.
    expect(github.requests.filter((request) => request.path.startsWith('/repos/acme/api/issues'))).toEqual([]);
    expect(await dailyRuns()).toBe(dailyRunsBefore);
  });
});

describe('the local webhook endpoint', () => {
  it('refuses an unsigned delivery and one signed with another secret with 401, queuing and applying nothing', async () => {
    const body = issuesEvent('edited', issuePayload(1, { title: 'forged', updated_at: '2026-11-29T00:00:00Z' }));
    const queuedBefore = webhooks.queues.sent.length;

    const unsigned = await post(body, { signature: null });
    const forged = await post(body, { secret: 'not the secret' });
    const tampered = await post(body.replace('forged', 'forgeD'), { signature: signatureOf(body, SECRET) });

    expect([unsigned.status, forged.status, tampered.status]).toEqual([401, 401, 401]);
    expect(webhooks.queues.sent.length).toBe(queuedBefore);
    expect((await stored(1))?.title).not.toBe('forged');
  });

  it('applies a replayed delivery (the same GUID) once: the second arrival is acknowledged and not queued', async () => {
    const guid = randomUUID();
    const body = issuesEvent(
      'edited',
      issuePayload(1, { title: 'Renamed once', labels: [{ name: 'bug' }], updated_at: '2026-11-29T01:00:00Z' }),
    );
    const queuedBefore = webhooks.queues.sent.length;

    const first = await post(body, { guid });
    const replay = await post(body, { guid });

    expect(first.status).toBe(202);
    expect(replay).toEqual({ status: 200, body: { message: `delivery ${guid} was already received` } });
    expect(webhooks.queues.sent.length).toBe(queuedBefore + 1);
    expect((await stored(1))?.title).toBe('Renamed once');
  });

  it('converges to GitHub’s state when an older delivery arrives after a newer one', async () => {
    const closed = issuePayload(1, {
      title: 'Closed last',
      state: 'closed',
      closed_at: '2026-11-29T03:00:00Z',
      updated_at: '2026-11-29T03:00:00Z',
    });
    const olderEdit = issuePayload(1, { title: 'Edited before closing', updated_at: '2026-11-29T02:00:00Z' });

    expect((await post(issuesEvent('closed', closed))).status).toBe(202);
    expect((await post(issuesEvent('edited', olderEdit))).status).toBe(202);

    expect(await stored(1)).toMatchObject({ title: 'Closed last', state: 'closed', updatedAt: '2026-11-29T03:00:00Z' });
  });

  it('refuses a body over GitHub’s 25 MB with 413 before reading its signature', async () => {
    const oversized = await post('x'.repeat(25 * 1024 * 1024 + 1), { signature: null });

    expect(oversized.status).toBe(413);
  });

  it('queues a signed delivery of 5 MB, and one of 7 MB never reaches the function (Lambda’s 6 MB invocation payload)', async () => {
    const delivery = (bodyBytes: number) =>
      issuesEvent('edited', issuePayload(2, { updated_at: '2026-11-29T04:00:00Z', body: 'b'.repeat(bodyBytes) }));
    const guid = randomUUID();
    const queuedBefore = webhooks.queues.sent.length;

    const fiveMegabytes = await post(delivery(5 * 1024 * 1024));
    const sevenMegabytes = await post(delivery(7 * 1024 * 1024), { guid });

    expect(fiveMegabytes.status).toBe(202);
    // Lambda refuses the invocation; the HTTP API answers as for any failed integration, and GitHub records a failure.
    expect(sevenMegabytes).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
    expect(webhooks.queues.sent.length).toBe(queuedBefore + 1);
    expect(webhooks.queues.sent.some((message) => message.body.includes(guid))).toBe(false);
  });

  it('answers ping with 200 and an event it does not apply with 202, queuing neither', async () => {
    const queuedBefore = webhooks.queues.sent.length;

    const ping = await post(JSON.stringify({ zen: 'Design for failure.', hook_id: HOOK_ID }), { event: 'ping' });
    const star = await post(JSON.stringify({ action: 'created' }), { event: 'star' });

    expect([ping.status, star.status]).toEqual([200, 202]);
    expect(webhooks.queues.sent.length).toBe(queuedBefore);
  });
});
