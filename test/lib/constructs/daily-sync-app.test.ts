import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { ENV } from '../../../shared/environment.ts';
import { buildTestApp } from '../../support/synth.ts';

const app = { appId: 4242, privateKeySecretName: 'cto-dashboard-jobs/github-app-key', installationIds: [11, 12] };
const base = readCdkContext(PROJECT_ROOT).ctoJobs as { github?: Record<string, unknown> };
const template = Template.fromStack(buildTestApp({ ctoJobs: { ...base, github: { ...base.github, app } } }).stack);

/** A daily function's environment variables, by its construct id prefix. */
function environmentOf(prefix: string): Record<string, unknown> {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))!;
  return fn.Properties.Environment.Variables;
}

describe('the daily job as a GitHub App', () => {
  it('gives List Projects and Sync Project the app id, its key secret and its installations', () => {
    for (const prefix of ['DailySyncListProjects', 'DailySyncSyncProject']) {
      expect(environmentOf(prefix)).toMatchObject({
        [ENV.githubAppId]: '4242',
        [ENV.githubAppPrivateKeySecret]: 'cto-dashboard-jobs/github-app-key',
        [ENV.githubAppInstallationIds]: '[11,12]',
      });
    }
    expect(environmentOf('DailySyncComputeProjectMetrics')[ENV.githubAppId]).toBeUndefined();
  });

  it("lets only List Projects and Sync Project read the app's private key", () => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('secret:cto-dashboard-jobs/github-app-key-??????'))
      .map(([id]) => id);
    expect(readers.sort()).toEqual([
      expect.stringMatching(/^DailySyncListProjectsRole/),
      expect.stringMatching(/^DailySyncSyncProjectRole/),
    ]);
  });
});
