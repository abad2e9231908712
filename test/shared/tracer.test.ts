import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project.ts';

beforeEach(() => {
  // Fresh modules: the DynamoDB client is created as shared/store/dynamo-client.ts loads, after the spy is set.
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** The class name of every client `tracer.captureAWSv3Client` was given while `act` ran. */
async function capturedClients(act: () => Promise<unknown>): Promise<string[]> {
  const { tracer } = await import('../../shared/tracer.ts');
  const capture = vi.spyOn(tracer, 'captureAWSv3Client');
  await act();
  return capture.mock.calls.map(([client]) => (client as object).constructor.name);
}

/** Every `new <Something>Client(` in shared/, with the text just before it. */
function sdkClientConstructions(): { file: string; line: string }[] {
  const files = fs
    .readdirSync(path.join(PROJECT_ROOT, 'shared'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'));
  return files.flatMap((file) =>
    fs
      .readFileSync(path.join(PROJECT_ROOT, 'shared', file), 'utf8')
      .split('\n')
      .filter((line) => /new \w+Client\(/.test(line))
      .map((line) => ({ file, line: line.trim() })),
  );
}

describe('the X-Ray tracer', () => {
  it("captures the DynamoDB and Secrets Manager clients, the alert channels' SNS and SES clients, the report's SES client", async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'https://hooks.slack.example/T0/B0' });
    vi.stubEnv('GITHUB_WEB_HOST', 'github.com');
    vi.stubEnv('ALERT_TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:on-call');
    vi.stubEnv('ALERT_EMAIL_RECIPIENTS', 'cto@example.com');
    vi.stubEnv('ALERT_EMAIL_SENDER', 'jobs@example.com');
    vi.stubEnv('LOCAL_ALERTS_FILE', '');
    vi.stubEnv('REPORT_SETTINGS', '{}');
    vi.stubEnv('TIME_ZONE', 'UTC');

    const clients = await capturedClients(async () => {
      const dependencies = await import('../../shared/dependencies.ts');
      dependencies.alertChannels();
      dependencies.reportDelivery();
      const { cachedSecret } = await import('../../shared/secret.ts');
      vi.stubEnv('TEST_SECRET', 'cto-dashboard-jobs/test');
      await cachedSecret('webhook URL', 'TEST_SECRET_VALUE', 'TEST_SECRET')();
    });

    expect(clients).toEqual(['DynamoDBClient', 'SNSClient', 'SESClient', 'SESClient', 'SecretsManagerClient']);
    secrets.restore();
  });

  it('is given every SDK client created in shared/', () => {
    const constructions = sdkClientConstructions();

    expect(constructions.length).toBeGreaterThanOrEqual(5);
    expect(constructions.filter(({ line }) => !/tracer\.captureAWSv3Client\(new \w+Client\(/.test(line))).toEqual([]);
  });
});
