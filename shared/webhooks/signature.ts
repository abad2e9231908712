/**
 * GitHub's webhook signature: `X-Hub-Signature-256` is `sha256=` and the hex HMAC-SHA256 of the raw body with the
 * webhook's secret (docs.github.com webhooks/using-webhooks/validating-webhook-deliveries). Pure: no SDK imports.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/;

/** The `X-Hub-Signature-256` value GitHub sends for `body` signed with `secret`. */
export function signatureOf(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is GitHub's signature of exactly these bytes. A missing or malformed header is refused before
 * any comparison; a well-formed one is compared in constant time, so its answer time tells nothing of the secret.
 * @param body the raw bytes as received: a re-serialized JSON body would not match.
 */
export function isSignedBy(body: Buffer, header: string | undefined, secret: string): boolean {
  const received = SIGNATURE_PATTERN.exec(header ?? '');
  if (!received) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  // Both are 32 bytes: the pattern admits exactly 64 hex digits.
  return timingSafeEqual(Buffer.from(received[1]!, 'hex'), expected);
}
