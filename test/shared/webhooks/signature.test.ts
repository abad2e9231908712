import { describe, expect, it } from 'vitest';
import { isSignedBy, signatureOf } from '../../../shared/webhooks/signature.ts';

// GitHub's published test vector (webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation).
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = Buffer.from('Hello, World!');
const EXPECTED = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('signatureOf', () => {
  it("signs GitHub's test payload with GitHub's published signature", () => {
    expect(signatureOf(PAYLOAD, SECRET)).toBe(EXPECTED);
  });
});

describe('isSignedBy', () => {
  it("accepts GitHub's test vector", () => {
    expect(isSignedBy(PAYLOAD, EXPECTED, SECRET)).toBe(true);
  });

  it('refuses a missing signature', () => {
    expect(isSignedBy(PAYLOAD, undefined, SECRET)).toBe(false);
    expect(isSignedBy(PAYLOAD, '', SECRET)).toBe(false);
  });

  it('refuses malformed signatures: another algorithm, short, upper-case, non-hex or padded', () => {
    const digest = EXPECTED.slice('sha256='.length);
    for (const header of [
      `sha1=${digest}`,
      digest,
      `sha256=${digest.slice(0, 63)}`,
      `sha256=${digest}0`,
      `sha256=${digest.toUpperCase()}`,
      `sha256=${'z'.repeat(64)}`,
      ` ${EXPECTED}`,
    ]) {
      expect(isSignedBy(PAYLOAD, header, SECRET), header).toBe(false);
    }
  });

  it('refuses a signature made with another secret', () => {
    expect(isSignedBy(PAYLOAD, signatureOf(PAYLOAD, 'not the secret'), SECRET)).toBe(false);
  });

  it('refuses the right signature over a body changed by one byte', () => {
    expect(isSignedBy(Buffer.from('Hello, World?'), EXPECTED, SECRET)).toBe(false);
  });
});
