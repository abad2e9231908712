/**
 * Secrets the Lambdas read: from a plain environment variable when set (local runs), else from the
 * Secrets Manager secret another variable names. A warm container keeps what it read for
 * {@link SECRET_TTL_MS}, and reads it again at once when the service it unlocks refused it, so a
 * rotated or replaced secret is picked up without waiting for the container to be recycled. Refusals
 * of the same value share one read: 100 requests refused at once make one GetSecretValue call.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, TransientError } from './errors.ts';
import { tracer } from './tracer.ts';

/**
 * How long a secret read from Secrets Manager is used before it is read again: the default TTL of the AWS
 * Parameters and Secrets Lambda Extension (https://docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html).
 */
export const SECRET_TTL_MS = 300_000;

/** A secret's value, read once per {@link SECRET_TTL_MS} at most. */
export interface Secret {
  /** The value: the promise of one read, the same for every caller until the next read starts. */
  (): Promise<string>;
  /**
   * The value to use after the value `refused` (a promise this secret returned) was refused: the secret is
   * read again now, unless a read started since `refused` was handed out; that read (in flight or done)
   * already holds what the secret holds after the refusal, so its value is returned without another call.
   */
  reread(refused: Promise<string>): Promise<string>;
}

let secretsManager: SecretsManagerClient | undefined;

/**
 * @throws ConfigError when neither variable is set, the secret is empty, or Secrets Manager refuses it for
 * good; TransientError when it could not be read otherwise. Each names the secret, never its value.
 */
export function cachedSecret(what: string, localVariable: string, secretVariable: string): Secret {
  let cached: { readonly value: Promise<string>; readonly readAt: number } | undefined;
  const read = async () => {
    const local = process.env[localVariable];
    if (local) return local;
    const secretId = process.env[secretVariable];
    if (!secretId) throw new ConfigError(`neither ${localVariable} nor ${secretVariable} is set`);
    secretsManager ??= tracer.captureAWSv3Client(new SecretsManagerClient({}));
    const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).catch((error: unknown) => {
      throw unreadable(secretId, what, error);
    });
    const value = output.SecretString?.trim();
    if (!value) throw new ConfigError(`secret ${secretId} holds no ${what} (SecretString is empty)`);
    return value;
  };
  const readNow = () => {
    const entry = { value: read(), readAt: Date.now() };
    cached = entry;
    // A failed read is not kept: the next call tries again.
    entry.value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.value;
  };
  const current = () => (cached && Date.now() - cached.readAt < SECRET_TTL_MS ? cached.value : readNow());
  // Each read replaces `cached` as it starts, so another promise there is a read that started after `refused`
  // was handed out: concurrent refusals of one value wait for the first one's read instead of making their own.
  const reread = (refused: Promise<string>) => (cached && cached.value !== refused ? current() : readNow());
  return Object.assign(current, { reread });
}

/**
 * Secrets Manager's answers that no retry changes
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
 */
const PERMANENT_SECRET_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** A failed read, named by the secret: no request of the service the secret unlocks is blamed for it. */
function unreadable(secretId: string, what: string, error: unknown): Error {
  const { name, message } = error as Error;
  const described = `secret ${secretId} (the ${what}) could not be read: ${name}: ${message}`;
  return PERMANENT_SECRET_ERRORS.has(name)
    ? new ConfigError(described, { cause: error })
    : new TransientError(described, { cause: error });
}
