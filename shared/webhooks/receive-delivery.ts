/**
 * The webhook endpoint's work, for one request: refuse what is too big, verify the signature before reading anything
 * else, answer `ping`, acknowledge and ignore events the jobs do not apply, and queue each applied delivery, its GUID
 * recorded in DynamoDB once it is queued. It only verifies, queues and records, so it answers well within GitHub's 10 s.
 *
 * Queued first, recorded after: a GUID is recorded only for a delivery already in the queue, so whatever fails or
 * stops the request before that (SQS, DynamoDB, the function timing out mid-send) leaves nothing recorded and
 * GitHub's redelivery of it is taken; a delivery is never lost. The price is rare: a delivery queued twice (the
 * function stopped between sending and recording, or a replay arriving in that instant), which the consumer applies
 * harmlessly a second time (the `updated_at` guard keeps an item as it is; a label renamed or deleted again changes
 * nothing). Claiming the GUID first and releasing it on failure, as before, lost the delivery whenever the release
 * did not run: a timeout or a crash mid-send left it claimed, and GitHub's redelivery was answered "already received".
 */
import { logger } from '../logger.ts';
import { isAppliedEvent, MAX_QUEUED_BYTES, queuedDeliveryOf } from './deliveries.ts';
import { isSignedBy } from './signature.ts';

/**
 * GitHub delivers no payload above 25 MB (docs.github.com webhooks/webhook-events-and-payloads#payload-cap). Deployed,
 * the function never sees one that large: the HTTP API answers 413 above its 10 MB, and Lambda refuses an event above
 * its 6 MB synchronous payload (the HTTP API answers 500), so a delivery between about 6 and 25 MB fails, is redelivered
 * in vain, and is lost to the webhook path: the daily sync brings its item in. This check guards a direct invocation.
 */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** An HTTP request as an API Gateway HTTP API (payload format 2.0) or a Lambda function URL hands it over. */
export interface WebhookRequest {
  /** Header names in lower case, as both deliver them. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Why a request was refused, each counted: the first three before its payload was read, `QueuedFormTooLarge` for a
 * verified delivery whose queued form would not fit in an SQS message.
 */
export type Refusal = 'TooLarge' | 'SignatureMissing' | 'SignatureInvalid' | 'QueuedFormTooLarge';

/** Where accepted deliveries go for the consumer. */
export interface DeliveryQueue {
  /** @param message the queued delivery as JSON, at most {@link MAX_QUEUED_BYTES} bytes. */
  send(message: string): Promise<void>;
}

export interface ReceiveDependencies {
  /** The webhook secret (read from Secrets Manager, cached). */
  readonly secret: () => Promise<string>;
  readonly deliveries: {
    /** Whether a delivery with this GUID was queued already (a replay, or GitHub's redelivery of it). */
    wasQueued(deliveryId: string, now: Date): Promise<boolean>;
    /** Records the GUID of a delivery just queued. */
    recordQueued(deliveryId: string, event: string, now: Date): Promise<void>;
  };
  readonly queue: DeliveryQueue;
  /** Counts a refused request (a metric). */
  readonly countRefusal: (refusal: Refusal) => void;
  readonly now?: () => Date;
}

/**
 * Answers one webhook request.
 * @throws what DynamoDB or the queue throws: the request fails (5xx), GitHub records the delivery as failed, and its
 * redelivery is taken, since a GUID is recorded only once its delivery is queued.
 */
export async function receiveDelivery(deps: ReceiveDependencies, request: WebhookRequest): Promise<WebhookResponse> {
  const body = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > MAX_BODY_BYTES) return refuse(deps, 'TooLarge', 413, `the body has ${body.length} bytes; GitHub sends at most 25 MB`);
  const signature = request.headers['x-hub-signature-256'];
  if (!signature) return refuse(deps, 'SignatureMissing', 401, 'X-Hub-Signature-256 is missing');
  if (!isSignedBy(body, signature, await deps.secret())) return refuse(deps, 'SignatureInvalid', 401, 'the signature does not match');

  const event = request.headers['x-github-event'];
  const deliveryId = request.headers['x-github-delivery'];
  if (!event || !deliveryId) return answer(400, 'X-GitHub-Event and X-GitHub-Delivery are required');
  if (event === 'ping') return answer(200, 'pong');
  if (!isAppliedEvent(event)) return answer(202, `${event} events are not applied; ignored`);

  const payload = payloadOf(body, request.headers['content-type']);
  if (payload === undefined) return answer(400, 'the body is not a JSON payload');
  const now = (deps.now ?? (() => new Date()))();
  const queued = queuedDeliveryOf(event, payload, { deliveryId, receivedAt: now.toISOString() });
  if ('problem' in queued) return answer(400, `not a ${event} payload: ${queued.problem}`);
  const message = JSON.stringify(queued.delivery);
  const messageBytes = Buffer.byteLength(message);
  if (messageBytes > MAX_QUEUED_BYTES) {
    // Neither queued nor recorded: GitHub records the delivery as failed, and the daily sync still brings the item in.
    logger.warn('webhook delivery refused: its queued form exceeds the SQS message limit', {
      deliveryId,
      event,
      repository: queued.delivery.repository.fullName,
      messageBytes,
      maxBytes: MAX_QUEUED_BYTES,
    });
    const reason = `the queued form has ${messageBytes} bytes; an SQS message takes at most ${MAX_QUEUED_BYTES}`;
    return refuse(deps, 'QueuedFormTooLarge', 413, reason);
  }
  if (await deps.deliveries.wasQueued(deliveryId, now)) return answer(200, `delivery ${deliveryId} was already received`);
  await deps.queue.send(message);
  await deps.deliveries.recordQueued(deliveryId, event, now);
  return answer(202, `delivery ${deliveryId} queued`);
}

function refuse(deps: ReceiveDependencies, refusal: Refusal, statusCode: number, message: string): WebhookResponse {
  deps.countRefusal(refusal);
  return answer(statusCode, message);
}

function answer(statusCode: number, message: string): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) };
}

/**
 * The payload: the JSON body, or a form body's `payload` field (a webhook whose content type is set to
 * `application/x-www-form-urlencoded`); undefined when it is neither.
 */
function payloadOf(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  const json = contentType?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(text).get('payload') : text;
  try {
    return json === null ? undefined : (JSON.parse(json) as unknown);
  } catch {
    return undefined;
  }
}
