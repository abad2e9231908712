/**
 * The GitHub token: `GITHUB_TOKEN` when set (local runs), else the Secrets Manager secret named by
 * `GITHUB_TOKEN_SECRET`, kept for five minutes per Lambda container and read again when GitHub refuses it.
 * A GitHub App's private key likewise: `GITHUB_APP_PRIVATE_KEY`, else the secret `GITHUB_APP_PRIVATE_KEY_SECRET` names.
 */
import { cachedSecret } from '../secret.ts';

// Marked pure so a bundle whose handler never reads the token drops it (shared/dependencies.ts imports this module).
export const githubToken = /* @__PURE__ */ cachedSecret('token', 'GITHUB_TOKEN', 'GITHUB_TOKEN_SECRET');

/** The GitHub App's private key (PEM). */
export const githubAppPrivateKey = /* @__PURE__ */ cachedSecret(
  'GitHub App private key',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_APP_PRIVATE_KEY_SECRET',
);
