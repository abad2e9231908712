/**
 * Freshness through the synthesized hourly state machine, webhooks on (a project is stale after 2 hours unconfirmed):
 * a project the sync last confirmed goes stale, its alert pages once over two hourly runs, status shows its lag, and
 * a signed webhook delivery, applied by the stack's consumer, confirms it and resolves the alert once.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatherStatus, statusPageHtml } from '../../lib/cli/status.ts';
import { GitHubServer } from '../../lib/local/github-server.ts';
import { type LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { alertRulesOf, parseConfig, schedulesOf } from '../../shared/config.ts';
import { newProject } from '../../shared/domain/project.ts';
import { METRIC_NAMES } from '../../shared/metrics.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { signatureOf } from '../../shared/webhooks/signature.ts';
import { GITHUB_TOKEN } from '../support/daily.ts';
import { captureEmf } from '../support/emf.ts';
import { issuePayload } from '../support/github-issues.ts';
import { hourlyAlertMessages } from '../support/hourly.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const SECRET = 'the webhook secret of the freshness tests';
const HOUR = 3_600_000;
/**
 * Three hours before the current hour began: the webhook delivery below is received (and confirms the project) at the
 * wall-clock time, which then falls between hour(3) and hour(4), as it would between two hourly runs.
 */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const hour = (n: number) => new Date(T0 + n * HOUR);

const sns = mockClient(SNSClient);
const emf = captureEmf();
const github = await GitHubServer.start({ token: GITHUB_TOKEN, repositories: [{ fullName: 'acme/api', id: 42, issues: [] }] });
const context = readCdkContext(PROJECT_ROOT);
// Webhooks on, no hooks listed (their hourly check would confirm the project): the 2-hour limit is set.
const ctoJobs = {
  ...(context.ctoJobs as object),
  webhooks: {},
  alerts: { ...(context.ctoJobs as { alerts?: object }).alerts, staleAfterHours: 2 },
};
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    context: { ...context, ctoJobs },
    github: { apiUrl: github.url, token: GITHUB_TOKEN },
    environment: { [WEBHOOK_ENV.secret]: SECRET, POWERTOOLS_METRICS_DISABLED: 'false' },
    alertsFile: undefined,
  });
});
beforeEach(async () => {
  await runtime.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});
afterAll(async () => {
  await runtime?.close();
  await github.close();
});

const run = async (n: number) => {
  const result = await runtime.runJob('hourly', { at: hour(n), retryIntervalMs: 0 });
  expect(result.run, `${result.run?.errorName}: ${result.run?.errorMessage}`).toMatchObject({ status: 'completed' });
};
const messages = () => hourlyAlertMessages(sns);
const worstLags = () => emf.published(METRIC_NAMES.worstProjectLag).map(({ value }) => value);

/** Posts an `issues` delivery to the stack's endpoint, signed as GitHub signs it, and waits for the consumer. */
async function deliverIssueEvent(action: string) {
  const body = JSON.stringify({
    action,
    issue: issuePayload(1, { created_at: hour(3.5).toISOString(), updated_at: hour(3.5).toISOString() }),
    repository: { id: 42, full_name: 'acme/api' },
    sender: { login: 'octocat' },
  });
  const response = await fetch(runtime.webhooks!.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signatureOf(body, SECRET),
    },
    body,
  });
  expect(response.status).toBe(202);
  await runtime.webhooks!.queues.settled();
}

describe('freshness in the hourly job', () => {
  it('alerts once on a project unconfirmed past the limit, shows its lag in status, and resolves once a webhook confirms it', async () => {
    const config = parseConfig(ctoJobs, hour(0));
    expect(alertRulesOf(config).staleAfterHours).toBe(2);
    await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, hour(-48)));
    // What a finished sync records: the project is confirmed as of an hour before T0.
    await runtime.stores.projects.saveSyncState('acme/api', { page: 1, lastSyncedAt: hour(-1).toISOString() });

    // Exactly at the limit (2 h): not stale.
    await run(1);
    expect(messages()).toEqual([]);
    expect(worstLags()).toEqual([2 * 3600]);

    // Past it: one notice, and none an hour later while it stays stale.
    await run(2);
    await run(3);
    const fired =
      'NEW: Project data not confirmed\n' +
      '  acme/api: data not confirmed for over 2 h\n' +
      `  last confirmed 3 h ago (last sync ${hour(-1).toISOString()}, no webhook applied); limit 2 h`;
    expect(messages()).toEqual([fired]);
    expect(worstLags()).toEqual([2 * 3600, 3 * 3600, 4 * 3600]);

    // status --json and the status page show the lag.
    const status = await gatherStatus(runtime.stores, {
      schedules: schedulesOf(config),
      thresholds: config.monitoring,
      budgetMinutes: config.jobTimeoutMinutes,
      healthThresholds: config.healthThresholds,
      now: hour(3),
      staleAfterHours: alertRulesOf(config).staleAfterHours,
    });
    expect(JSON.parse(JSON.stringify(status)).projects).toEqual([
      expect.objectContaining({
        projectId: 'acme/api',
        lag: {
          lastSyncedAt: hour(-1).toISOString(),
          webhookConfirmedAt: null,
          confirmedAt: hour(-1).toISOString(),
          lagSeconds: 4 * 3600,
          stale: true,
        },
      }),
    ]);
    const synced = hour(-1).toISOString();
    expect(statusPageHtml(status)).toContain(
      `<time datetime="${synced}" title="${synced.slice(0, 10)} ${synced.slice(11, 16)} UTC">4 h ago</time>` +
        `<br><span class="sub failing" title="last sync ${synced.slice(0, 10)} ${synced.slice(11, 16)} UTC; no webhook">stale</span>`,
    );

    // A delivery applied confirms the project as of its receipt, and the next run resolves the alert, once.
    await deliverIssueEvent('opened');
    const confirmed = (await runtime.stores.projects.listActive())[0]!;
    expect(Date.parse(confirmed.webhookConfirmedAt!)).toBeGreaterThan(hour(3).getTime());
    await run(4);
    await run(5);
    expect(messages()).toEqual([fired, expect.stringMatching(/^RESOLVED: Project data not confirmed\n {2}acme\/api: data not/)]);
    expect(worstLags()).toHaveLength(5);
    expect(worstLags()[3]).toBeLessThanOrEqual(3600);
    expect(await runtime.stores.alerts.listOpen()).toEqual([]);
  });

  it('leaves a project unjudged until its first sync finishes, then judges it from the sync, which alone confirms it too', async () => {
    await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, hour(-48)));
    await run(1);
    expect(messages()).toEqual([]);
    // No project confirmed yet: no lag to publish.
    expect(worstLags()).toEqual([]);

    await runtime.stores.projects.saveSyncState('acme/api', { page: 1, lastSyncedAt: hour(-2).toISOString() });
    await run(2);
    expect(messages()).toEqual([
      expect.stringMatching(/^NEW: Project data not confirmed\n {2}acme\/api: data not confirmed for over 2 h\n/),
    ]);

    // The next daily sync finishes: confirmed half an hour before the run, which resolves the alert.
    await runtime.stores.projects.saveSyncState('acme/api', { page: 1, lastSyncedAt: hour(2.5).toISOString() });
    await run(3);
    expect(messages()).toHaveLength(2);
    expect(messages()[1]).toMatch(/^RESOLVED: Project data not confirmed\n/);
    expect(worstLags()).toEqual([4 * 3600, 1800]);
  });
});
