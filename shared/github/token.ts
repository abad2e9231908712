/**
 * The GitHub token: `GITHUB_TOKEN` when set (local runs), else the Secrets Manager secret named by
 * `GITHUB_TOKEN_SECRET`, read once per Lambda container.
 */
import { cachedSecret } from '../secret.ts';

export const githubToken = cachedSecret('token', 'GITHUB_TOKEN', 'GITHUB_TOKEN_SECRET');
