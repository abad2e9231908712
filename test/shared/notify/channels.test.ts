import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../shared/domain/alert-message.ts';
import { type AlertChannel, deliver, slackChannel } from '../../../shared/notify/channels.ts';
import { SlackWebhook } from '../../support/slack-webhook.ts';

const digest = digestOf('run-1', '2026-11-28T12:00:00.000Z', [], 0);
const retry = { attempts: 3, baseMs: 1 };
let slack: SlackWebhook;
beforeAll(async () => (slack = await SlackWebhook.start()));
afterAll(() => slack.close());
beforeEach(() => slack.reset());

describe('deliver', () => {
  it('retries a failing channel with backoff and reports the attempts', async () => {
    slack.failNext(2);
    expect(
      await deliver(
        slackChannel(async () => slack.url, 'github.com'),
        digest,
        retry,
      ),
    ).toEqual({ channel: 'slack', ok: true, attempts: 3 });
    expect(slack.received).toHaveLength(1);
  });

  it('does not retry what cannot succeed, and never puts the secret webhook URL in the error', async () => {
    const secretUrl = 'hooks.slack.com/services/T0/B0/SECRET';
    const outcome = await deliver(
      slackChannel(async () => secretUrl, 'github.com'),
      digest,
      retry,
    );
    expect(outcome).toEqual({
      channel: 'slack',
      ok: false,
      attempts: 1,
      error: 'PermanentDeliveryError: the Slack webhook is not an http(s) URL',
    });

    slack.failNext(Infinity, 404);
    const revoked = await deliver(
      slackChannel(async () => slack.url, 'github.com'),
      digest,
      retry,
    );
    expect(revoked).toEqual({
      channel: 'slack',
      ok: false,
      attempts: 1,
      error: 'PermanentDeliveryError: Slack answered HTTP 404 (no_service)',
    });
    expect(slack.requests).toBe(1);
  });

  it('reports a channel that never succeeds after the configured attempts', async () => {
    let calls = 0;
    const flaky: AlertChannel = {
      name: 'flaky',
      send: async () => {
        calls++;
        throw new Error('connection reset');
      },
    };
    expect(await deliver(flaky, digest, retry)).toEqual({ channel: 'flaky', ok: false, attempts: 3, error: 'Error: connection reset' });
    expect(calls).toBe(3);
  });
});
