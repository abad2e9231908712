import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ORGANIZATION_SNAPSHOT_ID } from '../../shared/store/snapshots-store.ts';
import { captureEmf } from '../support/emf.ts';
import { HOSTILE_TITLES } from '../support/hostile-text.ts';
import { storedBug } from '../support/hourly.ts';
import { namedError } from '../support/local-runtime.ts';
import { SlackWebhook } from '../support/slack-webhook.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T10:00:00Z');
const hour = (n: number) => new Date(T0 + n * HOUR);
const iso = (n: number) => hour(n).toISOString().replace('.000', '');

const sns = mockClient(SNSClient);
let runtime: LocalRuntime;
let slack: SlackWebhook;
/** EMF lines the handlers printed. */
const emf = captureEmf();

beforeAll(async () => {
  slack = await SlackWebhook.start();
  const context = readCdkContext(PROJECT_ROOT);
  runtime = await LocalRuntime.start({
    context: {
      ...context,
      ctoJobs: {
        ...(context.ctoJobs as object),
        report: { recipients: [], sender: 'cto-jobs@example.com' },
        alerts: { emailRecipients: ['cto@example.com', 'vp@example.com'] },
      },
    },
    environment: { SLACK_WEBHOOK_URL: slack.url, ALERT_RETRY_BASE_MS: '1', POWERTOOLS_METRICS_DISABLED: 'false' },
  });
});
afterAll(async () => {
  await runtime?.close();
  await slack?.close();
});
beforeEach(async () => {
  await runtime.reset();
  await runtime.ses.clear();
  slack.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, new Date('2026-10-01T00:00:00Z')));
});

const run = (n: number, options: Parameters<LocalRuntime['runJob']>[1] = {}) =>
  runtime.runJob('hourly', { at: hour(n), retryIntervalMs: 0, ...options });
/** The bug alerts' messages (the watchdog's job alerts, about the slots these tests skip over, are left out). */
const BUG_ALERTS = 'CTO dashboard alerts:';
const publishes = () =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Subject?.startsWith(BUG_ALERTS));
const slackMessages = () => slack.received.filter((payload) => payload.text.startsWith(BUG_ALERTS));
const sent = async () => ({
  sns: publishes().length,
  slack: slackMessages().length,
  email: (await runtime.ses.emails()).filter((email) => email.subject.startsWith(BUG_ALERTS)).length,
});

describe('hourly alerts, through the synthesized state machine', () => {
  it('page once when an alert fires, stay quiet an hour later and for a duplicate delivery, remind after the 24 h cooldown', async () => {
    // Opened at T0: 24 h later it is exactly at its 24 h SLA, not past it, so only the reminder is due.
    await runtime.stores.items.upsert([
      storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(0), revenueImpact: 2500, title: 'Checkout fails' }),
    ]);

    const first = await run(0);
    expect(first.run).toMatchObject({ status: 'completed' });
    expect(await sent()).toEqual({ sns: 1, slack: 1, email: 1 });
    expect(publishes()[0]).toMatchObject({ Subject: 'CTO dashboard alerts: 1 new ($2,500/day at risk)' });
    expect(publishes()[0]!.Message).toContain(
      'NEW: Unassigned critical bug\n  acme/api#1 Checkout fails\n  critical, $2,500/day, open 0h',
    );

    expect((await run(0)).decision).toBe('duplicate');
    expect((await run(1)).run).toMatchObject({ status: 'completed' });
    expect((await run(23)).run).toMatchObject({ status: 'completed' });
    expect(await sent()).toEqual({ sns: 1, slack: 1, email: 1 });

    await run(24);
    expect(await sent()).toEqual({ sns: 2, slack: 2, email: 2 });
    expect(publishes()[1]).toMatchObject({ Subject: 'CTO dashboard alerts: 1 still firing ($2,500/day at risk)' });
    const open = await runtime.stores.alerts.listOpen();
    expect(open).toEqual([
      expect.objectContaining({
        alertId: 'unassigned_critical#acme/api#1',
        firstSeenAt: hour(0).toISOString(),
        lastNotifiedAt: hour(24).toISOString(),
      }),
    ]);
  });

  it('page again at once when revenue at risk crosses a higher band, and once more when it resolves', async () => {
    const assigned = { severity: 'high' as const, assignees: ['ann'], createdAt: iso(-1) };
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { ...assigned, revenueImpact: 12_000 })]);
    await run(0);
    expect(publishes().map((input) => input.Subject)).toEqual(['CTO dashboard alerts: 1 new ($12,000/day at risk)']);

    await runtime.stores.items.upsert([storedBug('acme/api', 2, { ...assigned, revenueImpact: 9_000 })]); // $21,000: band 2×
    await run(1);
    await run(2);
    expect(publishes().map((input) => input.Subject)).toEqual([
      'CTO dashboard alerts: 1 new ($12,000/day at risk)',
      'CTO dashboard alerts: 1 worse ($21,000/day at risk)',
    ]);
    expect(publishes()[1]!.Message).toContain('WORSE: Revenue at risk\n  Revenue at risk above $20,000/day');

    await runtime.stores.items.upsert([
      storedBug('acme/api', 1, { ...assigned, revenueImpact: 12_000, closedAt: iso(2.5) }),
      storedBug('acme/api', 2, { ...assigned, revenueImpact: 9_000, closedAt: iso(2.5) }),
    ]);
    await run(3);
    await run(4);
    expect(publishes().map((input) => input.Subject)).toEqual([
      'CTO dashboard alerts: 1 new ($12,000/day at risk)',
      'CTO dashboard alerts: 1 worse ($21,000/day at risk)',
      'CTO dashboard alerts: 1 resolved ($0/day at risk)',
    ]);
    expect(await runtime.stores.alerts.listOpen()).toEqual([]);
  });

  it('page for a critical bug past its SLA, one second past the limit and not at it', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 7, { severity: 'critical', assignees: ['ann'], createdAt: iso(-24) })]);
    await run(0);
    expect(publishes()).toEqual([]);
    await runtime.runJob('hourly', { at: new Date(T0 + 1000), retryIntervalMs: 0 });
    expect(publishes().map((input) => input.Message?.split('\n')[2])).toEqual(['NEW: Critical bug past its SLA']);
  });

  it('never send twice when a task is retried after its work was done', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    const died = new Set<string>();
    const result = await run(0, {
      afterTask: (stateName) => {
        if ((stateName === 'Compute Hourly Metrics' || stateName === 'Send Alerts') && !died.has(stateName)) {
          died.add(stateName);
          throw namedError('Lambda.ServiceException', 'the function died after doing its work');
        }
      },
    });
    expect(died).toEqual(new Set(['Compute Hourly Metrics', 'Send Alerts']));
    expect(result.run).toMatchObject({ status: 'completed' });
    expect(await sent()).toEqual({ sns: 1, slack: 1, email: 1 });
  });

  it('leave for the next run an alert that a retried evaluation sees but the queued notification does not carry', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    let died = false;
    await run(0, {
      afterTask: async (stateName) => {
        if (stateName !== 'Compute Hourly Metrics' || died) return;
        died = true;
        // Between the two attempts the daily sync stores a new unassigned critical bug.
        await runtime.stores.items.upsert([storedBug('acme/api', 2, { severity: 'critical', createdAt: iso(-1) })]);
        throw namedError('Lambda.ServiceException', 'the function died after doing its work');
      },
    });
    expect(publishes().map((input) => input.Subject)).toEqual(['CTO dashboard alerts: 1 new ($0/day at risk)']);
    await run(1);
    expect(publishes().map((input) => input.Subject)).toEqual([
      'CTO dashboard alerts: 1 new ($0/day at risk)',
      'CTO dashboard alerts: 1 new ($0/day at risk)',
    ]);
    expect(publishes()[1]!.Message).toContain('acme/api#2');
  });

  it('fail the run, without publishing again, when an earlier attempt died while publishing to on-call', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    const result = await run(0, {
      beforeTask: async (stateName, attempt) => {
        if (stateName === 'Send Alerts' && attempt === 1)
          await runtime.stores.alerts.claimDelivery(`hourly_metrics#${iso(0)}`, 'bugs', 'on-call', hour(0).toISOString());
      },
    });
    expect(publishes()).toEqual([]);
    expect(result.run).toMatchObject({
      status: 'failed',
      errorName: 'OnCallDeliveryError',
      errorMessage: expect.stringContaining('an earlier attempt died while publishing'),
    });
  });

  it('retry Slack when it answers 500, then deliver', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    slack.failNext(1);
    const result = await run(0);
    expect(slack.requests).toBe(2);
    expect(await sent()).toEqual({ sns: 1, slack: 1, email: 1 });
    expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(result.run?.summary).toContain('on-call: sent, email: sent, slack: sent');
  });

  it('record a Slack that stays down, and still page on-call and email', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    slack.failNext(Infinity);
    const result = await run(0);
    expect(slack.requests).toBe(3);
    expect(await sent()).toEqual({ sns: 1, slack: 0, email: 1 });
    expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 1 });
    const events = await runtime.stores.events.listForRun(result.run!.runId);
    expect(
      events
        .filter((event) => event.eventType === 'alert')
        .map((event) => [event.level, event.message])
        .sort(),
    ).toEqual([
      ['error', 'slack: bugs alert notices not delivered after 3 attempts: Error: Slack answered HTTP 500 (internal_error)'],
      ['info', 'email: sent 1 bugs alert notices (attempt 1)'],
      ['info', 'on-call: sent 1 bugs alert notices (attempt 1)'],
    ]);
  });

  it('retry on-call when SNS throttles', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    sns.on(PublishCommand).rejectsOnce(namedError('ThrottledException', 'Rate exceeded')).resolves({ MessageId: 'message-2' });
    expect((await run(0)).run).toMatchObject({ status: 'completed' });
    expect(publishes()).toHaveLength(2);
  });

  it('fail the run when on-call cannot be paged, after trying every channel', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-2) })]);
    sns.on(PublishCommand).rejects(namedError('AuthorizationErrorException', 'not authorized to publish'));
    const result = await run(0);
    expect(result.run).toMatchObject({
      status: 'failed',
      errorName: 'OnCallDeliveryError',
      errorMessage: expect.stringContaining('AuthorizationErrorException'),
    });
    // A refused publish is not retried (it cannot succeed); the other channels still deliver.
    expect(await sent()).toEqual({ sns: 1, slack: 1, email: 1 });
    expect(result.run?.errorMessage).toContain('PermanentDeliveryError: SNS refused the message: AuthorizationErrorException');
  });

  it('neutralise hostile titles in the Slack message and the email as they were delivered', async () => {
    await runtime.stores.items.upsert(
      HOSTILE_TITLES.map((title, index) => storedBug('acme/api', index + 1, { severity: 'critical', createdAt: iso(-2), title })),
    );
    await run(0);
    const payload = JSON.stringify(slackMessages()[0]);
    expect(payload).not.toMatch(/<!|<@|<script|@(here|channel|everyone)/i);
    const [email] = await runtime.ses.emails();
    // aws-ses-v2-local's SendEmail keeps only the first ToAddresses member; SES itself takes up to 50.
    expect(email).toMatchObject({ from: 'cto-jobs@example.com', destination: { to: ['cto@example.com'] } });
    expect(email!.subject).toBe(`CTO dashboard alerts: ${HOSTILE_TITLES.length} new ($0/day at risk)`);
    expect(email!.body.html).not.toMatch(/<script|<img|onerror='|onmouseover='/i);
    expect(email!.body.html).toContain('&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email!.body.text).toContain('NEW: Unassigned critical bug');
  });

  it('store hourly snapshots and publish the organisation figures as EMF metrics, without a per-project dimension', async () => {
    await runtime.stores.projects.save(newProject({ repository: 'acme/web' }, new Date('2026-10-01T00:00:00Z')));
    await runtime.stores.items.upsert([
      storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-30), revenueImpact: 4000 }),
      storedBug('acme/api', 2, { severity: 'low', assignees: ['ann'], createdAt: iso(-3), revenueImpact: 150 }),
      storedBug('acme/api', 3, { severity: 'high', createdAt: iso(-100), closedAt: iso(-24) }),
    ]);
    await runtime.stores.items.upsert([
      storedBug('acme/web', 1, { severity: 'high', assignees: ['bob'], createdAt: iso(-80), revenueImpact: 850 }),
    ]);
    await run(0);

    const organization = await runtime.stores.snapshots.latestHourly();
    expect(organization).toMatchObject({
      projectId: ORGANIZATION_SNAPSHOT_ID,
      at: hour(0).toISOString(),
      projects: 2,
      openBugs: 3,
      revenueAtRisk: 5000,
      alertingSlaBreaches: 2,
      slaBreaches: { critical: 1, high: 1, medium: 0, low: 0 },
      unassignedCritical: 1,
      velocity: { last7Days: 1, previous7Days: 0 },
    });
    expect(await runtime.stores.snapshots.latestHourly('acme/web')).toMatchObject({
      openBugs: 1,
      revenueAtRisk: 850,
      alertingSlaBreaches: 1,
    });

    // One line of organisation figures; the watchdog and the run's end publish per-job lines of their own.
    const organizationLines = emf.lines.filter((line) => 'RevenueAtRisk' in line);
    expect(organizationLines).toHaveLength(1);
    const [line] = organizationLines;
    const [directive] = line!._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe('CtoDashboard');
    expect(directive!.Dimensions).toEqual([['service']]);
    expect(directive!.Metrics.map((metric) => metric.Name).sort()).toEqual([
      'OpenBugs',
      'RevenueAtRisk',
      'SlaBreaches',
      'UnassignedCritical',
      'Velocity',
    ]);
    expect(line).toMatchObject({
      RevenueAtRisk: 5000,
      SlaBreaches: 2,
      UnassignedCritical: 1,
      Velocity: 1,
      OpenBugs: 3,
      service: 'cto-dashboard-jobs',
    });

    // The engine's line at the end of the run: the job's failure streak, for the ConsecutiveFailures alarm.
    const runLine = emf.lines.find((candidate) => 'ConsecutiveFailures' in candidate);
    expect(runLine).toMatchObject({ ConsecutiveFailures: 0, JobType: 'hourly_metrics', service: 'cto-dashboard-jobs' });
    expect(runLine!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'JobType']]);
  });
});
