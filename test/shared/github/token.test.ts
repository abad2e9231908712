import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SECRET_TTL_MS } from '../../../shared/secret.ts';

// Secrets Manager has no local stand-in: its client is mocked at the SDK boundary.
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => {
  secrets.reset();
  vi.resetModules();
  vi.stubEnv('GITHUB_TOKEN', '');
  vi.stubEnv('GITHUB_TOKEN_SECRET', 'cto-dashboard-jobs/github-token');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const load = async () => (await import('../../../shared/github/token.ts')).githubToken;

describe('githubToken', () => {
  it('reads the token from Secrets Manager once per five minutes in a warm container', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'ghp_secret\n' }).resolves({ SecretString: 'ghp_rotated' });
    const githubToken = await load();

    expect(await githubToken()).toBe('ghp_secret');
    vi.advanceTimersByTime(SECRET_TTL_MS - 1);
    expect(await githubToken()).toBe('ghp_secret');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: 'cto-dashboard-jobs/github-token' });

    // Five minutes after the read, a rotated token is picked up without any refusal.
    vi.advanceTimersByTime(1);
    expect(await githubToken()).toBe('ghp_rotated');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the secret again at once when asked (GitHub refused the token), and keeps the new value', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'ghp_revoked' }).resolves({ SecretString: 'ghp_new' });
    const githubToken = await load();
    const refused = githubToken();
    expect(await refused).toBe('ghp_revoked');

    expect(await githubToken.reread(refused)).toBe('ghp_new');

    expect(await githubToken()).toBe('ghp_new');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the secret once for any number of refusals of one value, and not again for one that arrives after that read', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'ghp_revoked' })
      .resolvesOnce({ SecretString: 'ghp_new' })
      .resolves({ SecretString: 'ghp_newest' });
    const githubToken = await load();
    const refused = githubToken();
    await refused;

    // Ten requests that took the same token, refused at once.
    const together = await Promise.all(Array.from({ length: 10 }, () => githubToken.reread(refused)));
    // One more that took it too, refused after the new token was read.
    const late = await githubToken.reread(refused);

    expect([...new Set(together), late]).toEqual(['ghp_new', 'ghp_new']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // The new token refused in turn: the secret is read again.
    expect(await githubToken.reread(githubToken())).toBe('ghp_newest');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('prefers GITHUB_TOKEN (local runs) and never calls Secrets Manager then', async () => {
    vi.stubEnv('GITHUB_TOKEN', 'ghp_local');
    expect(await (await load())()).toBe('ghp_local');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('names the secret when it holds no token, and tries again on the next call', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: '  ' }).resolves({ SecretString: 'ghp_later' });
    const githubToken = await load();

    await expect(githubToken()).rejects.toMatchObject({
      name: 'ConfigError',
      message: 'secret cto-dashboard-jobs/github-token holds no token (SecretString is empty)',
    });
    expect(await githubToken()).toBe('ghp_later');
  });

  it.each([
    ['ResourceNotFoundException', 'ConfigError'],
    ['AccessDeniedException', 'ConfigError'],
    ['InternalServiceError', 'TransientError'],
  ])('names the secret when Secrets Manager answers %s, as a %s', async (answer, name) => {
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('refused'), { name: answer }));

    await expect((await load())()).rejects.toMatchObject({
      name,
      message: `secret cto-dashboard-jobs/github-token (the token) could not be read: ${answer}: refused`,
    });
  });

  it("keeps Secrets Manager's own error as the cause of the one it raises, for the logs to show", async () => {
    const refusal = Object.assign(new Error('refused'), { name: 'AccessDeniedException' });
    secrets.on(GetSecretValueCommand).rejects(refusal);

    const error = await (await load())().catch((error: unknown) => error);

    expect(error).toMatchObject({ name: 'ConfigError' });
    expect((error as Error).cause).toBe(refusal);
  });
});
