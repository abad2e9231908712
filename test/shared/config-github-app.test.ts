import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

function problemsOf(app: unknown): string[] {
  try {
    parseConfig({ github: { app } }, NOW);
  } catch (error) {
    if (error instanceof ConfigError && error.problems) return [...error.problems];
    throw error;
  }
  return [];
}

describe('parseConfig: github.app', () => {
  it('leaves the app out when it is not configured, so the personal token is used as before', () => {
    const config = parseConfig({}, NOW);

    expect(config.github.app).toBeUndefined();
    expect(config.github.tokenSecretName).toBe('cto-dashboard-jobs/github-token');
  });

  it('takes an app id, the secret of its private key and, optionally, its installations', () => {
    const app = { appId: 123456, privateKeySecretName: 'cto-dashboard-jobs/github-app-key', installationIds: [11, 12] };

    expect(parseConfig({ github: { app } }, NOW).github.app).toEqual(app);
    expect(parseConfig({ github: { app: { appId: 1, privateKeySecretName: 'k' } } }, NOW).github.app).toEqual({
      appId: 1,
      privateKeySecretName: 'k',
    });
  });

  it('names each bad value on its own line', () => {
    expect(problemsOf({ appId: '123', privateKeySecretName: '' })).toEqual([
      'ctoJobs.github.app.appId: "123" is not a GitHub App id (a positive whole number)',
      'ctoJobs.github.app.privateKeySecretName: must not be empty',
    ]);
    expect(problemsOf({ appId: 1.5, privateKeySecretName: 'k', installationIds: [0] })).toEqual([
      'ctoJobs.github.app.appId: 1.5 is not a GitHub App id (a positive whole number)',
      'ctoJobs.github.app.installationIds.0: 0 is not an installation id (a positive whole number)',
    ]);
    expect(problemsOf({ appId: 1, privateKeySecretName: 'k', installationIds: [7, 7] })).toEqual([
      'ctoJobs.github.app.installationIds: [7,7] lists an installation twice',
    ]);
    expect(problemsOf({ appId: 1, privateKeySecretName: 'k', installationIds: [] })).toEqual([
      'ctoJobs.github.app.installationIds: must list at least one installation (or be left out for all of them)',
    ]);
  });

  it('refuses a missing private key secret and unknown keys', () => {
    const problems = problemsOf({ appId: 1, privateKey: '-----BEGIN PRIVATE KEY-----' });

    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ctoJobs\.github\.app\.privateKeySecretName: /);
    expect(problems[1]).toMatch(/^ctoJobs\.github\.app: .*privateKey/);
  });
});
