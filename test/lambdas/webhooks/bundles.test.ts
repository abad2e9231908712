/**
 * The webhook functions exist only with `webhooks` configured, so test/lambdas/bundles.test.ts (cdk.json's
 * configuration plus the other optional integrations) never bundles them. Here the stack is synthesized with
 * bundling and webhooks on, and each webhook function's bundle is loaded in a fresh Node process with only its
 * deployed environment, then invoked once: the endpoint with a signed delivery, which it records in dynalite and
 * sends to a loopback SQS (SQS has no local emulator; SendMessage's wire form is awsJson1.0), and the consumer with
 * that message as its SQS record. The webhook secret comes from the loopback Secrets Manager.
 */
import { createHash, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createTables, startEmbeddedDynamoDb } from '../../../lib/local/embedded-dynamodb.ts';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { LOCAL_REGION } from '../../../lib/local/template.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { ENV } from '../../../shared/environment.ts';
import { ProjectsStore } from '../../../shared/store/projects-store.ts';
import { WorkItemsStore } from '../../../shared/store/work-items-store.ts';
import { WEBHOOK_ENV } from '../../../shared/webhooks/environment.ts';
import { signatureOf } from '../../../shared/webhooks/signature.ts';
import { AwsStandIn } from '../../support/aws-stand-in.ts';
import { bundleFolder, importsOf, invokeBundle, lambdaEnvironment, synthesizeBundled } from '../../support/bundles.ts';
import { issuePayload } from '../../support/github-issues.ts';

const SECRET_NAME = 'acme/webhook-secret';
const SECRET = 'the webhook secret of the bundle test';

/** A loopback SQS answering SendMessage only (awsJson1.0, with the MD5 the SDK checks); it keeps the bodies sent. */
async function startLoopbackSqs() {
  const sent: { QueueUrl: string; MessageBody: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.headers['x-amz-target'] !== 'AmazonSQS.SendMessage') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'InvalidAction' }));
        return;
      }
      const input = JSON.parse(body) as { QueueUrl: string; MessageBody: string };
      sent.push(input);
      const md5 = createHash('md5').update(input.MessageBody).digest('hex');
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    sent,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const dynamo = await startEmbeddedDynamoDb();
const aws = await AwsStandIn.start({ [SECRET_NAME]: SECRET });
const sqs = await startLoopbackSqs();
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: LOCAL_REGION,
  credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
});
afterAll(async () => {
  client.destroy();
  await Promise.all([dynamo.close(), aws.close(), sqs.close()]);
});

const context = readCdkContext(PROJECT_ROOT);
const outdir = bundleFolder();
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const bundled = synthesizeBundled(
  outdir,
  { ...context, ctoJobs: { ...(context.ctoJobs as Record<string, unknown>), webhooks: { secretName: SECRET_NAME } } },
  new Date(),
);
const functionOf = (entry: string) => bundled.functions.find((fn) => fn.entry === entry)!;
// Neither function calls SES or SNS: a closed port, so a call would fail loudly.
const endpoints = { dynamodb: dynamo.endpoint, ses: 'http://127.0.0.1:9', sns: 'http://127.0.0.1:9', secretsManager: aws.endpoint };
const invoke = (entry: string, event: unknown) => {
  const fn = functionOf(entry);
  return invokeBundle(fn, { ...lambdaEnvironment(fn, endpoints), AWS_ENDPOINT_URL_SQS: sqs.endpoint }, event);
};

describe('the webhook bundles', () => {
  it('require nothing but Node built-ins', async () => {
    const webhookFiles = bundled.functions.filter((fn) => fn.entry.startsWith('lambdas/webhooks/')).map((fn) => fn.file);
    expect(webhookFiles).toHaveLength(2);
    for (const { modules, computedRequires } of (await importsOf(webhookFiles)).values()) {
      expect(modules.filter((name) => !isBuiltin(name))).toEqual([]);
      expect(computedRequires).toBe(0);
    }
  });

  it('the endpoint queues a signed delivery on SQS, and the consumer stores its issue', async () => {
    await createTables(client, bundled.stack.tables);
    const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const settings = functionOf('lambdas/webhooks/apply-deliveries.ts').environment;
    await new ProjectsStore(documents, settings[ENV.projectsTable]!).save({
      ...newProject({ repository: 'acme/api' }, new Date()),
      // Synced once: before its first sync finishes, a project's deliveries are not applied.
      sync: { page: 1, lastSyncedAt: new Date().toISOString() },
    });
    const body = JSON.stringify({
      action: 'opened',
      repository: { id: 42, full_name: 'acme/api' },
      issue: issuePayload(7, { title: 'Checkout fails', labels: [{ name: 'bug' }] }),
    });
    const receive = await invoke('lambdas/webhooks/receive-delivery.ts', {
      version: '2.0',
      routeKey: 'POST /github',
      rawPath: '/github',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signatureOf(body, SECRET),
      },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });

    expect(receive.error, `${receive.error?.stack ?? ''}\n${receive.stderr}`).toBeUndefined();
    expect(receive.result).toMatchObject({ statusCode: 202 });
    const queueUrl = functionOf('lambdas/webhooks/receive-delivery.ts').environment[WEBHOOK_ENV.deliveriesQueueUrl];
    expect(sqs.sent.map((message) => message.QueueUrl)).toEqual([queueUrl]);
    expect(aws.calls).toContainEqual({ service: 'secretsmanager', action: 'GetSecretValue', params: { SecretId: SECRET_NAME } });

    const apply = await invoke('lambdas/webhooks/apply-deliveries.ts', {
      Records: sqs.sent.map((message) => ({ messageId: randomUUID(), body: message.MessageBody })),
    });

    expect(apply.error, `${apply.error?.stack ?? ''}\n${apply.stderr}`).toBeUndefined();
    expect(apply.result).toEqual({ batchItemFailures: [] });
    const items = await new WorkItemsStore(documents, settings[ENV.workItemsTable]!).listForProject('acme/api');
    expect(items).toEqual([expect.objectContaining({ number: 7, kind: 'bug', updatedAt: '2026-11-28T10:00:00Z' })]);
  });
});
