/**
 * A GitHub App for tests: an RSA key pair made at test time (node:crypto), the app registered on the loopback
 * GitHub with its public key, and JWTs signed by hand so each claim can be set as a test needs.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import type { FakeApp, FakeInstallation } from '../../lib/local/github-server.ts';

export const APP_ID = 4242;

/** A fresh 2048-bit RSA key pair: the private key as PKCS#8 PEM (what GitHub hands out, converted), the public as PEM. */
export function appKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** The app as the loopback GitHub registers it. */
export function fakeApp(publicKey: string, installations: readonly FakeInstallation[], tokenLifetimeSeconds?: number): FakeApp {
  return { appId: APP_ID, publicKey, installations, tokenLifetimeSeconds };
}

/** An RS256 JWT over `claims`, signed with `privateKey` (GitHub's claims default to a valid app JWT issued now). */
export function signedJwt(privateKey: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'RS256', typ: 'JWT', ...header })}.${encode({ iat: now - 30, exp: now + 540, iss: APP_ID, ...claims })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(privateKey, 'base64url')}`;
}
