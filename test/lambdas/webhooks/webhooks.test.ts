import { randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { newProject, type Project } from '../../../shared/domain/project.ts';
import { logger } from '../../../shared/logger.ts';
import { METRIC_NAMES } from '../../../shared/metrics.ts';
import { WorkItemsStore } from '../../../shared/store/work-items-store.ts';
import { MAX_QUEUED_BYTES } from '../../../shared/webhooks/deliveries.ts';
import { WEBHOOK_ENV } from '../../../shared/webhooks/environment.ts';
import { signatureOf } from '../../../shared/webhooks/signature.ts';
import { captureEmf } from '../../support/emf.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

/** A project whose first sync has finished: webhook deliveries are applied to it (its first sync writes alone). */
const created = newProject({ repository: 'acme/api' }, new Date('2026-11-01T00:00:00Z'));
const syncedProject: Project = { ...created, sync: { ...created.sync, lastSyncedAt: '2026-11-02T02:00:00Z' } };

// The two webhook functions as deployed, against dynalite (the stack's own WebhookDeliveries and WorkItems tables).
// SQS has no local stand-in: its client is mocked, and the SendMessage inputs it records are the queue the
// consumer's SQS records are made of.
const SECRET = 'the webhook secret of these tests';
const context = readCdkContext(PROJECT_ROOT);
const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());
const runtime = await startTestRuntime({
  context: { ...context, ctoJobs: { ...(context.ctoJobs as object), webhooks: {} } },
  environment: { [WEBHOOK_ENV.secret]: SECRET, POWERTOOLS_METRICS_DISABLED: 'false' },
});
afterAll(() => runtime.close());
beforeEach(async () => {
  await runtime.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: randomUUID() });
  await runtime.stores.projects.add(syncedProject);
});
const emf = captureEmf();
const receive = (await import('../../../lambdas/webhooks/receive-delivery.ts')).handler as unknown as (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;
const apply = (await import('../../../lambdas/webhooks/apply-deliveries.ts')).handler as unknown as (
  event: SQSEvent,
  context: unknown,
) => Promise<SQSBatchResponse>;

interface DeliveryOptions {
  readonly event?: string;
  readonly deliveryId?: string;
  /** The X-Hub-Signature-256 header; by default the right one. */
  readonly signature?: string | null;
}

/** A request as the HTTP API hands it to the function: headers in lower case, the body base64-encoded. */
function request(body: string | Buffer, options: DeliveryOptions = {}): APIGatewayProxyEventV2 {
  const bytes = Buffer.from(body);
  const signature = options.signature === undefined ? signatureOf(bytes, SECRET) : options.signature;
  return {
    version: '2.0',
    routeKey: 'POST /github',
    rawPath: '/github',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': options.event ?? 'issues',
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEventV2;
}

const issue = (updatedAt: string, state: 'open' | 'closed', labels: string[] = ['bug', 'severity: high']) => ({
  number: 7,
  title: 'Checkout fails',
  state,
  html_url: 'https://github.com/acme/api/issues/7',
  user: { login: 'octocat', id: 1 },
  labels: labels.map((name) => ({ id: 1, name, color: 'd73a4a', description: 'a label' })),
  assignees: [],
  created_at: '2026-11-20T10:00:00Z',
  updated_at: updatedAt,
  closed_at: state === 'closed' ? updatedAt : null,
  body: 'A long description the jobs never store. '.repeat(200),
  reactions: { total_count: 0 },
});
const issuesPayload = (updatedAt: string, state: 'open' | 'closed', action = state === 'closed' ? 'closed' : 'edited') =>
  JSON.stringify({
    action,
    issue: issue(updatedAt, state),
    repository: { id: 42, full_name: 'acme/api', name: 'api', owner: { login: 'acme' } },
    sender: { login: 'octocat' },
  });

const send = (event: APIGatewayProxyEventV2) => receive(event, lambdaContext());
/** The SendMessage inputs of the deliveries queued so far. */
const queued = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
/** Hands everything queued so far to the consumer as one SQS batch, and forgets it. */
async function drainQueue(): Promise<SQSBatchResponse> {
  const Records = queued().map((input) => ({ messageId: randomUUID(), body: String(input.MessageBody) }));
  sqs.resetHistory();
  return apply({ Records } as unknown as SQSEvent, lambdaContext());
}
const refusals = () =>
  emf.published(METRIC_NAMES.webhookDeliveriesRefused).map(({ dimensions, value }) => ({ reason: dimensions.Reason, value }));

describe('the webhook endpoint', () => {
  it('queues a correctly signed delivery within a second, without the fields the jobs do not store', async () => {
    const started = performance.now();
    const answer = await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open')));

    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.statusCode).toBe(202);
    expect(queued()).toEqual([{ QueueUrl: process.env[WEBHOOK_ENV.deliveriesQueueUrl], MessageBody: expect.any(String) }]);
    expect(process.env[WEBHOOK_ENV.deliveriesQueueUrl]).toMatch(/\/000000000000\/WebhooksQueue[0-9A-F]+$/);
    const message = JSON.parse(String(queued()[0]!.MessageBody)) as Record<string, unknown>;
    expect(message).toMatchObject({ event: 'issues', action: 'edited', repository: { id: 42, fullName: 'acme/api' } });
    expect(JSON.stringify(message)).not.toContain('A long description');
    expect(refusals()).toEqual([]);
  });

  it('refuses an unsigned delivery with 401, counts it, and neither records nor queues it', async () => {
    const deliveryId = randomUUID();
    const answer = await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open'), { deliveryId, signature: null }));

    expect(answer.statusCode).toBe(401);
    expect(queued()).toEqual([]);
    expect(refusals()).toEqual([{ reason: 'SignatureMissing', value: 1 }]);
    // Its GUID was not claimed: the genuine delivery with it is still taken.
    expect((await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open'), { deliveryId }))).statusCode).toBe(202);
  });

  it('refuses with 401 and counts a delivery signed with another secret, or whose body was changed after signing', async () => {
    const body = issuesPayload('2026-11-28T10:00:00Z', 'open');
    const forged = await send(request(body, { signature: signatureOf(body, 'a guessed secret') }));
    const tampered = await send(request(body.replace('"open"', '"closed"'), { signature: signatureOf(body, SECRET) }));
    const malformed = await send(request(body, { signature: 'sha256=not-hex' }));

    expect([forged.statusCode, tampered.statusCode, malformed.statusCode]).toEqual([401, 401, 401]);
    expect(queued()).toEqual([]);
    expect(refusals()).toEqual([
      { reason: 'SignatureInvalid', value: 1 },
      { reason: 'SignatureInvalid', value: 1 },
      { reason: 'SignatureInvalid', value: 1 },
    ]);
  });

  it('never parses a wrongly signed body: one that is not even JSON is refused with 401, not 400', async () => {
    const answer = await send(request('{ not json', { signature: signatureOf('{}', SECRET) }));
    expect(answer.statusCode).toBe(401);
  });

  it('queues a replayed delivery (same GUID, as a redelivery keeps it) once, and answers the replay 200', async () => {
    const deliveryId = randomUUID();
    const body = issuesPayload('2026-11-28T10:00:00Z', 'open');

    const first = await send(request(body, { deliveryId }));
    const replay = await send(request(body, { deliveryId }));

    expect([first.statusCode, replay.statusCode]).toEqual([202, 200]);
    expect(replay.body).toContain('already received');
    expect(queued()).toHaveLength(1);
  });

  it('takes GitHub’s redelivery of a delivery whose request stopped mid-send (the function timed out), and queues it', async () => {
    const deliveryId = randomUUID();
    const body = issuesPayload('2026-11-28T10:00:00Z', 'open');
    // SendMessage never answers: the 10 s timeout stops the function there, and GitHub records the delivery failed.
    sqs.on(SendMessageCommand).callsFakeOnce(() => new Promise(() => undefined));
    void send(request(body, { deliveryId }));
    await vi.waitFor(() => expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1));

    const redelivery = await send(request(body, { deliveryId }));

    expect(redelivery.statusCode).toBe(202);
    // The stopped request's SendMessage and the redelivery's, which SQS took.
    const sent = queued().map((input) => JSON.parse(String(input.MessageBody)) as { deliveryId: string });
    expect(sent).toMatchObject([{ deliveryId }, { deliveryId }]);
  });

  it('refuses a body over 25 MB with 413 and counts it', async () => {
    const oversized = Buffer.alloc(25 * 1024 * 1024 + 1, 'a');
    const answer = await send(request(oversized));

    expect(answer.statusCode).toBe(413);
    expect(queued()).toEqual([]);
    expect(refusals()).toEqual([{ reason: 'TooLarge', value: 1 }]);
  });

  it('refuses with 413, a warning and a count a delivery whose queued form would exceed an SQS message, and records nothing', async () => {
    // Labels are kept in the queued form: 300 names of 1,000 characters take it past 256 KiB.
    const labels = Array.from({ length: 300 }, (_, index) => `${index}-${'x'.repeat(1000)}`);
    const body = JSON.stringify({
      action: 'labeled',
      issue: issue('2026-11-28T10:00:00Z', 'open', labels),
      repository: { id: 42, full_name: 'acme/api' },
    });
    const deliveryId = randomUUID();
    const warn = vi.spyOn(logger, 'warn');
    const answer = await send(request(body, { deliveryId }));
    const warnings = [...warn.mock.calls];
    warn.mockRestore();

    expect(answer.statusCode).toBe(413);
    expect(answer.body).toContain(`at most ${MAX_QUEUED_BYTES}`);
    expect(queued()).toEqual([]);
    expect(refusals()).toEqual([{ reason: 'QueuedFormTooLarge', value: 1 }]);
    expect(warnings).toEqual([
      [
        expect.stringContaining('exceeds the SQS message limit'),
        expect.objectContaining({ deliveryId, event: 'issues', repository: 'acme/api', maxBytes: MAX_QUEUED_BYTES }),
      ],
    ]);
    // Its GUID was not claimed: a redelivery is refused the same way, not answered "already received".
    expect((await send(request(body, { deliveryId }))).statusCode).toBe(413);
  });

  it('answers ping 200 and acknowledges an event it does not apply with 202, queuing neither', async () => {
    const ping = await send(request(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), { event: 'ping' }));
    const push = await send(request(JSON.stringify({ ref: 'refs/heads/main' }), { event: 'push' }));

    expect(ping.statusCode).toBe(200);
    expect(push.statusCode).toBe(202);
    expect(push.body).toContain('ignored');
    expect(queued()).toEqual([]);
  });

  it('takes a form-encoded delivery (content type application/x-www-form-urlencoded) as its payload field', async () => {
    const form = `payload=${encodeURIComponent(issuesPayload('2026-11-28T10:00:00Z', 'open'))}`;
    const event = request(form);
    const answer = await send({ ...event, headers: { ...event.headers, 'content-type': 'application/x-www-form-urlencoded' } });

    expect(answer.statusCode).toBe(202);
    expect(queued()).toHaveLength(1);
  });

  it('never writes the webhook secret to its output', async () => {
    const write = vi.spyOn(process.stdout, 'write');
    const writeError = vi.spyOn(process.stderr, 'write');
    try {
      await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open')));
      await send(request('{}', { signature: signatureOf('{}', 'a guessed secret') }));
      const output = [...write.mock.calls, ...writeError.mock.calls].map(([chunk]) => String(chunk)).join('');
      expect(output).not.toContain(SECRET);
    } finally {
      write.mockRestore();
      writeError.mockRestore();
    }
  });
});

describe('the webhook consumer', () => {
  it("stores an issue as the sync would: a bug with the project's severity and revenue rules", async () => {
    await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open', 'labeled')));

    expect(await drainQueue()).toEqual({ batchItemFailures: [] });

    expect(await runtime.stores.items.listForProject('acme/api')).toEqual([
      {
        projectId: 'acme/api',
        number: 7,
        kind: 'bug',
        title: 'Checkout fails',
        state: 'open',
        htmlUrl: 'https://github.com/acme/api/issues/7',
        author: 'octocat',
        assignees: [],
        labels: ['bug', 'severity: high'],
        createdAt: '2026-11-20T10:00:00Z',
        updatedAt: '2026-11-28T10:00:00Z',
        severity: 'high',
        revenueImpact: 250,
      },
    ]);
  });

  it('keeps the newer state when deliveries arrive out of order, in either order', async () => {
    const older = request(issuesPayload('2026-11-28T10:00:00Z', 'open'));
    const newer = request(issuesPayload('2026-11-28T11:00:00Z', 'closed'));

    await send(newer);
    await drainQueue();
    await send(older);
    await drainQueue();
    const afterReversed = await runtime.stores.items.listForProject('acme/api');
    await runtime.reset();
    await runtime.stores.projects.add(syncedProject);
    await send(older);
    await send(newer);
    await drainQueue();
    const afterInOrder = await runtime.stores.items.listForProject('acme/api');

    for (const items of [afterReversed, afterInOrder]) {
      expect(items.map(({ state, updatedAt, closedAt }) => ({ state, updatedAt, closedAt }))).toEqual([
        { state: 'closed', updatedAt: '2026-11-28T11:00:00Z', closedAt: '2026-11-28T11:00:00Z' },
      ]);
    }
  });

  it('stores a merged pull request as a pull request with its merge time', async () => {
    const pullRequest = {
      ...issue('2026-11-28T12:00:00Z', 'closed', ['enhancement']),
      number: 8,
      html_url: 'https://github.com/acme/api/pull/8',
      draft: false,
      merged_at: '2026-11-28T12:00:00Z',
    };
    const body = JSON.stringify({ action: 'closed', pull_request: pullRequest, repository: { id: 42, full_name: 'acme/api' } });
    await send(request(body, { event: 'pull_request' }));

    await drainQueue();

    expect(await runtime.stores.items.listForProject('acme/api')).toEqual([
      expect.objectContaining({ number: 8, kind: 'pull_request', state: 'closed', draft: false, mergedAt: '2026-11-28T12:00:00Z' }),
    ]);
  });

  it('leaves a repository that is not a project untouched', async () => {
    const body = issuesPayload('2026-11-28T10:00:00Z', 'open').replaceAll('acme/api', 'acme/other');
    await send(request(body));

    expect(await drainQueue()).toEqual({ batchItemFailures: [] });
    expect(await runtime.stores.items.listForProject('acme/other')).toEqual([]);
  });

  it('reports a message it cannot read as failed, for SQS to retry and then dead-letter, and applies the others', async () => {
    await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open')));
    const [good] = queued().map((input) => ({ messageId: 'good', body: String(input.MessageBody) }));

    const response = await apply(
      { Records: [{ messageId: 'broken', body: '{"event":"issues"}' }, good] } as unknown as SQSEvent,
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] });
    expect(await runtime.stores.items.listForProject('acme/api')).toHaveLength(1);
  });
});

describe('the webhook consumer, for labels renamed or deleted on the repository', () => {
  const labelDelivery = (action: string, name: string, previousName?: string) =>
    request(
      JSON.stringify({
        action,
        label: { id: 9, name, color: 'd73a4a' },
        ...(previousName ? { changes: { name: { from: previousName } } } : {}),
        repository: { id: 42, full_name: 'acme/api' },
      }),
      { event: 'label' },
    );
  const stored = async () =>
    (await runtime.stores.items.listForProject('acme/api')).map(({ number, labels, kind, severity, updatedAt }) => ({
      number,
      labels,
      kind,
      severity,
      updatedAt,
    }));

  beforeEach(async () => {
    await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open')));
    await drainQueue();
  });

  it('renames the label on the items carrying it and classifies them again, their updated_at unchanged', async () => {
    await send(labelDelivery('edited', 'severity: critical', 'severity: high'));

    expect(await drainQueue()).toEqual({ batchItemFailures: [] });

    expect(await stored()).toEqual([
      { number: 7, labels: ['bug', 'severity: critical'], kind: 'bug', severity: 'critical', updatedAt: '2026-11-28T10:00:00Z' },
    ]);
  });

  it('rewrites every item carrying a renamed label as one write: the project’s aggregate is kept up once, not once per item', async () => {
    for (const number of [8, 9]) {
      await send(request(issuesPayload('2026-11-28T10:00:00Z', 'open').replaceAll('"number":7', `"number":${number}`)));
    }
    await drainQueue();
    const writes = vi.spyOn(WorkItemsStore.prototype, 'writing');

    await send(labelDelivery('edited', 'severity: critical', 'severity: high'));
    await drainQueue();
    const upkeeps = writes.mock.calls.length;
    writes.mockRestore();

    expect((await stored()).map(({ number, severity }) => [number, severity])).toEqual([
      [7, 'critical'],
      [8, 'critical'],
      [9, 'critical'],
    ]);
    expect(upkeeps).toBe(1);
  });

  it('removes a deleted label from the items carrying it: without "bug" the issue is no longer a bug', async () => {
    await send(labelDelivery('deleted', 'bug'));

    await drainQueue();

    expect(await stored()).toEqual([
      { number: 7, labels: ['severity: high'], kind: 'issue', severity: undefined, updatedAt: '2026-11-28T10:00:00Z' },
    ]);
  });

  it('changes no item for a label created or only recoloured', async () => {
    const before = await stored();
    await send(labelDelivery('created', 'triage'));
    await send(labelDelivery('edited', 'bug'));

    await drainQueue();

    expect(await stored()).toEqual(before);
  });
});
