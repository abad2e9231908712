import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

describe('configuration webhooks', () => {
  it('leaves webhooks off when the block is absent', () => {
    expect(parseConfig({}, NOW).webhooks).toBeUndefined();
  });

  it('fills the defaults of an empty block', () => {
    expect(parseConfig({ webhooks: {} }, NOW).webhooks).toEqual({
      secretName: 'cto-dashboard-jobs/github-webhook-secret',
      rateLimitPerSecond: 50,
      burstLimit: 100,
      deliveryRetentionDays: 4,
    });
  });

  it("refuses to forget a delivery's GUID before GitHub's 3-day redelivery window ends, naming the value", () => {
    expect(() => parseConfig({ webhooks: { deliveryRetentionDays: 2 } }, NOW)).toThrow(
      'ctoJobs.webhooks.deliveryRetentionDays: 2 is below 3',
    );
  });

  it('refuses an unknown setting', () => {
    expect(() => parseConfig({ webhooks: { secret: 'x' } }, NOW)).toThrow(/ctoJobs\.webhooks: .*secret/);
  });
});
