import { describe, expect, it } from 'vitest';
import type { QueuedDelivery } from '../../../shared/webhooks/deliveries.ts';
import { type ReceiveDependencies, receiveDelivery } from '../../../shared/webhooks/receive-delivery.ts';
import { signatureOf } from '../../../shared/webhooks/signature.ts';
import { issuePayload } from '../../support/github-issues.ts';

const SECRET = 'secret';
const body = JSON.stringify({
  action: 'opened',
  repository: { id: 1, full_name: 'acme/api' },
  issue: issuePayload(1),
});
const request = (deliveryId: string, text = body) => ({
  headers: { 'x-github-event': 'issues', 'x-github-delivery': deliveryId, 'x-hub-signature-256': signatureOf(text, SECRET) },
  body: text,
  isBase64Encoded: false,
});

/**
 * GUIDs recorded in memory (the first `recordFailures` records fail, as DynamoDB can), and a queue that refuses its
 * first `failures` sends.
 */
function dependencies(
  failures: number,
  recordFailures = 0,
): ReceiveDependencies & { readonly claimed: Set<string>; readonly queued: QueuedDelivery[] } {
  const claimed = new Set<string>();
  const queued: QueuedDelivery[] = [];
  let refusalsLeft = failures;
  let recordFailuresLeft = recordFailures;
  return {
    claimed,
    queued,
    secret: async () => SECRET,
    deliveries: {
      wasQueued: async (deliveryId) => claimed.has(deliveryId),
      recordQueued: async (deliveryId) => {
        if (recordFailuresLeft-- > 0) throw new Error('DynamoDB is unavailable');
        claimed.add(deliveryId);
      },
    },
    queue: {
      send: async (message) => {
        if (refusalsLeft-- > 0) throw new Error('SQS is unavailable');
        queued.push(JSON.parse(message) as QueuedDelivery);
      },
    },
    countRefusal: () => undefined,
  };
}

describe('receiveDelivery', () => {
  it('records no GUID for a delivery it could not queue, so GitHub’s redelivery of it is taken', async () => {
    const deps = dependencies(1);

    await expect(receiveDelivery(deps, request('guid-1'))).rejects.toThrow('SQS is unavailable');
    expect(deps.claimed.has('guid-1')).toBe(false);
    const redelivery = await receiveDelivery(deps, request('guid-1'));

    expect(redelivery.statusCode).toBe(202);
    expect(deps.queued.map((delivery) => delivery.deliveryId)).toEqual(['guid-1']);
  });

  it('fails a queued delivery whose GUID it could not record, and queues GitHub’s redelivery again rather than lose it', async () => {
    const deps = dependencies(0, 1);

    await expect(receiveDelivery(deps, request('guid-4'))).rejects.toThrow('DynamoDB is unavailable');
    const redelivery = await receiveDelivery(deps, request('guid-4'));
    const replay = await receiveDelivery(deps, request('guid-4'));

    // Queued twice: the consumer's updated_at guard applies the second as a no-op.
    expect([redelivery.statusCode, replay.statusCode]).toEqual([202, 200]);
    expect(deps.queued.map((delivery) => delivery.deliveryId)).toEqual(['guid-4', 'guid-4']);
  });

  it('refuses a signed payload without the event’s shape with 400, naming the field, and queues nothing', async () => {
    const deps = dependencies(0);
    const text = JSON.stringify({ action: 'opened', repository: { id: 1, full_name: 'acme/api' } });

    const answer = await receiveDelivery(deps, request('guid-2', text));

    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('issue');
    expect(deps.queued).toEqual([]);
    expect(deps.claimed.size).toBe(0);
  });

  it('refuses a signed request without X-GitHub-Delivery with 400', async () => {
    const { headers, ...rest } = request('guid-3');
    const answer = await receiveDelivery(dependencies(0), { ...rest, headers: { ...headers, 'x-github-delivery': undefined } });
    expect(answer.statusCode).toBe(400);
  });
});
