/**
 * The GitHub token: `GITHUB_TOKEN` when set (local runs), else the Secrets Manager secret named by
 * `GITHUB_TOKEN_SECRET`, kept for five minutes per Lambda container and read again when GitHub refuses it.
 */
import { cachedSecret } from '../secret.ts';

// Marked pure so a bundle whose handler never reads the token drops it (shared/dependencies.ts imports this module).
export const githubToken = /* @__PURE__ */ cachedSecret('token', 'GITHUB_TOKEN', 'GITHUB_TOKEN_SECRET');
