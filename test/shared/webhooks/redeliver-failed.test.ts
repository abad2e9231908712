import { describe, expect, it } from 'vitest';
import type { WebhookHook } from '../../../shared/config.ts';
import {
  CLAIM_LEASE_MS,
  type HookDeliveriesApi,
  type ListedDelivery,
  type RedeliveryRequests,
  redeliverFailed,
} from '../../../shared/webhooks/redeliver-failed.ts';

const HOOK: WebhookHook = { repository: 'acme/api', id: 1 };
const now = new Date('2026-11-28T10:00:00Z');
const failedAttempt = (id: number, guid: string): ListedDelivery => ({ id, guid, delivered_at: '2026-11-28T09:00:00Z', status_code: 503 });

/** GitHub's answer to a redelivery request, by attempt id: 202 unless an HTTP status is given (or a network error). */
function api(answers: Readonly<Record<number, number | 'network'>>): HookDeliveriesApi & { readonly asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    async *pages() {
      yield [failedAttempt(3, 'c'), failedAttempt(2, 'b'), failedAttempt(1, 'a')];
    },
    async redeliver(_hook, deliveryId) {
      asked.push(deliveryId);
      const answer = answers[deliveryId];
      if (answer === 'network') throw new TypeError('fetch failed');
      if (answer !== undefined) throw Object.assign(new Error(`HTTP ${answer}`), { status: answer });
    },
  };
}

/** The markers in memory, as the store keeps them (a claim older than the lease may be claimed again). */
function markers(): RedeliveryRequests & { readonly states: Map<string, string> } {
  const states = new Map<string, string>();
  const claimedAt = new Map<string, number>();
  return {
    states,
    claim: async (guid, at) => {
      const stale = states.get(guid) === 'claimed' && claimedAt.get(guid)! < at.getTime() - CLAIM_LEASE_MS;
      if (states.has(guid) && !stale) return false;
      states.set(guid, 'claimed');
      claimedAt.set(guid, at.getTime());
      return true;
    },
    recordRequested: async (guid) => void states.set(guid, 'requested'),
    recordRefused: async (guid) => void states.set(guid, 'refused'),
    release: async (guid) => void states.delete(guid),
  };
}

describe('redeliverFailed', () => {
  it('asks for each failed delivery on its own: a refusal is kept, a passing failure is asked again next run', async () => {
    const requests = markers();
    const github = api({ 1: 422, 2: 502 });

    const first = await redeliverFailed({ api: github, requests }, [HOOK], now);
    const second = await redeliverFailed({ api: api({}), requests }, [HOOK], new Date(now.getTime() + 3_600_000));

    expect(first).toMatchObject({ failed: 3, requested: 1, retryLater: 1, refused: [{ guid: 'a', deliveryId: 1, status: 422 }] });
    expect(github.asked).toEqual([3, 2, 1]);
    expect(second).toMatchObject({ failed: 3, requested: 1, alreadyRequested: 2, retryLater: 0, refused: [] });
    expect(Object.fromEntries(requests.states)).toEqual({ a: 'refused', b: 'requested', c: 'requested' });
  });

  it('leaves a request that never reached GitHub (a network error) for the next run', async () => {
    const requests = markers();

    const outcome = await redeliverFailed({ api: api({ 3: 'network' }), requests }, [HOOK], now);

    expect(outcome).toMatchObject({ requested: 2, retryLater: 1, refused: [] });
    expect(requests.states.has('c')).toBe(false);
  });
});
