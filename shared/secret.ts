/**
 * Secrets the Lambdas read: from a plain environment variable when set (local runs), else from the
 * Secrets Manager secret another variable names, read once per Lambda container (a failed read is
 * tried again on the next call).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './errors.ts';

export function cachedSecret(what: string, localVariable: string, secretVariable: string): () => Promise<string> {
  let cached: Promise<string> | undefined;
  const read = async () => {
    const local = process.env[localVariable];
    if (local) return local;
    const secretId = process.env[secretVariable];
    if (!secretId) throw new ConfigError(`neither ${localVariable} nor ${secretVariable} is set`);
    const output = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = output.SecretString?.trim();
    if (!value) throw new ConfigError(`secret ${secretId} holds no ${what} (SecretString is empty)`);
    return value;
  };
  return () =>
    (cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    }));
}
