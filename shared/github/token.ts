/**
 * The GitHub token: `GITHUB_TOKEN` when set (local runs), else the Secrets Manager secret named by
 * `GITHUB_TOKEN_SECRET`, read once per Lambda container.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors.ts';

let cached: Promise<string> | undefined;

export function githubToken(): Promise<string> {
  cached ??= readToken().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function readToken(): Promise<string> {
  if (process.env.GITHUB_TOKEN) return process.env.GITHUB_TOKEN;
  const secretId = process.env.GITHUB_TOKEN_SECRET;
  if (!secretId) throw new ConfigError('neither GITHUB_TOKEN nor GITHUB_TOKEN_SECRET is set');
  const output = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  const token = output.SecretString?.trim();
  if (!token) throw new ConfigError(`secret ${secretId} holds no token (SecretString is empty)`);
  return token;
}
