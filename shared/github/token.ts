/**
 * The GitHub token: `GITHUB_TOKEN` when set (local runs), else the Secrets Manager secret named by
 * `GITHUB_TOKEN_SECRET`, kept for five minutes per Lambda container and read again when GitHub refuses it.
 */
import { cachedSecret } from '../secret.ts';

export const githubToken = cachedSecret('token', 'GITHUB_TOKEN', 'GITHUB_TOKEN_SECRET');
