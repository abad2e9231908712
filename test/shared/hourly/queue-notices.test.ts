import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../shared/domain/alert-message.ts';
import type { AlertNotice, AlertState } from '../../../shared/domain/alerts.ts';
import { queueNotices } from '../../../shared/hourly/queue-notices.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables, created in dynalite from the synthesized template; dynalite refuses items over 400 KB as DynamoDB does.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const alerts = runtime.stores.alerts;

const AT = '2026-11-30T10:00:00.000Z';
const BACKLOG = 100_000;

/** A first run over a large backlog: one SLA breach per bug, each with a title as long as GitHub allows. */
function breaches(count: number, from = 0): AlertState[] {
  return Array.from({ length: count }, (_, index) => {
    const number = from + index + 1;
    return {
      alertId: `sla_breach#acme/api#${number}`,
      rule: 'sla_breach',
      projectId: 'acme/api',
      number,
      title: `Checkout fails for every customer in the EU region ${'x'.repeat(200)}`,
      url: `https://github.com/acme/api/issues/${number}`,
      severity: 'critical',
      value: 5000,
      level: 3,
      openedAt: '2026-11-01T00:00:00Z',
      status: 'open',
      firstSeenAt: AT,
      lastNotifiedAt: AT,
      notifiedLevel: 3,
    };
  });
}
const fired = (states: readonly AlertState[]): AlertNotice[] => states.map((alert) => ({ kind: 'fired', alert }));
const digest = (notices: readonly AlertNotice[]) => digestOf('hourly_metrics#run-1', AT, notices, 500_000_000, 'bugs');

describe('queueNotices', () => {
  it(`queues a notification of ${BACKLOG.toLocaleString('en-US')} notices, which one DynamoDB item cannot hold`, async () => {
    const states = breaches(BACKLOG);
    const notices = fired(states);
    // Prepare: the runtime enforces the item-size limit, so one item with every notice key is refused.
    const oneItem = new PutCommand({
      TableName: alerts.tableName,
      Item: { alertKey: 'notification#one-item', digest: digest(notices), noticeKeys: states.map((state) => state.alertId.slice(-12)) },
    });
    await expect(documentClient.send(oneItem)).rejects.toThrow(/Item size has exceeded the maximum allowed size/);

    const saved = await queueNotices(alerts, digest(notices), notices, states);

    expect(saved).toHaveLength(BACKLOG);
    expect(await alerts.getNotification('hourly_metrics#run-1', 'bugs')).toMatchObject({
      digest: { counts: { fired: BACKLOG }, notices: { length: 100 } },
      deliveries: {},
    });
  });

  it('on a retry, saves exactly the states whose notice the queued notification carries, its parts included', async () => {
    const states = breaches(BACKLOG);
    await queueNotices(alerts, digest(fired(states)), fired(states), states);
    // The retry sees other data: the last bug (its key in the last part) and one new bug the first attempt never queued.
    const retried = [states[0]!, states.at(-1)!, ...breaches(1, BACKLOG)];

    const saved = await queueNotices(alerts, digest(fired(retried)), fired(retried), retried);

    expect(saved.map((state) => state.number)).toEqual([1, BACKLOG]);
  });
});
