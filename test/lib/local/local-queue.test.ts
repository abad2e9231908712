import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalQueueDefinition, LocalQueues } from '../../../lib/local/local-queue.ts';

const QUEUE = 'DeliveriesQueue';
const DEAD_LETTERS = 'DeliveriesDeadLetterQueue';
const definitions = (maxReceiveCount: number): LocalQueueDefinition[] => [
  {
    logicalId: QUEUE,
    maxMessageBytes: 256 * 1024,
    redrive: { deadLetterQueue: DEAD_LETTERS, maxReceiveCount },
    consumer: { entry: 'consumer.ts', logicalId: 'Consumer', batchSize: 2, reportsFailures: true },
  },
  { logicalId: DEAD_LETTERS, maxMessageBytes: 256 * 1024 },
];

let queues: LocalQueues | undefined;
afterEach(() => queues?.close());

/** A consumer that reports failed every message whose body is in `failing`, and records each batch's bodies. */
function consumer(failing: ReadonlySet<string>) {
  const batches: string[][] = [];
  const invoke = async (_entry: string, _logicalId: string, event: unknown): Promise<SQSBatchResponse> => {
    const { Records } = event as SQSEvent;
    batches.push(Records.map((record) => record.body));
    return {
      batchItemFailures: Records.filter((record) => failing.has(record.body)).map((record) => ({ itemIdentifier: record.messageId })),
    };
  };
  return { batches, invoke };
}

async function send(body: string) {
  const client = new SQSClient({ endpoint: queues!.endpoint, region: 'local-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  try {
    return await client.send(new SendMessageCommand({ QueueUrl: queues!.urlOf(QUEUE), MessageBody: body }));
  } finally {
    client.destroy();
  }
}

describe('LocalQueues, the SQS stand-in', () => {
  it('hands messages to the consumer in batches of the mapping and receives again only those reported failed', async () => {
    const { batches, invoke } = consumer(new Set(['b']));
    queues = await LocalQueues.start(definitions(3), invoke);

    for (const body of ['a', 'b', 'c']) await send(body);
    await queues.settled();

    // 'b' fails three times (its maxReceiveCount), then waits in the dead-letter queue; 'a' and 'c' are received once.
    expect(batches.flat().filter((body) => body === 'b')).toHaveLength(3);
    expect(batches.flat().filter((body) => body !== 'b')).toEqual(['a', 'c']);
    expect(batches.every((batch) => batch.length <= 2)).toBe(true);
    expect(queues.messages(DEAD_LETTERS)).toMatchObject([{ body: 'b', receiveCount: 3 }]);
    expect(queues.messages(QUEUE)).toEqual([]);
  });

  it('receives the whole batch again when the consumer throws', async () => {
    let calls = 0;
    queues = await LocalQueues.start(definitions(5), async () => {
      if (++calls === 1) throw new Error('the function timed out');
      return { batchItemFailures: [] };
    });

    await send('a');
    await queues.settled();

    expect(calls).toBe(2);
    expect(queues.messages(DEAD_LETTERS)).toEqual([]);
  });

  it('refuses a message above the queue’s MaximumMessageSize as SQS does, and accepts one of exactly that size', async () => {
    const { batches, invoke } = consumer(new Set());
    queues = await LocalQueues.start(definitions(5), invoke);

    await expect(send('x'.repeat(256 * 1024 + 1))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const accepted = await send('x'.repeat(256 * 1024));
    await queues.settled();

    expect(accepted.MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
    expect(batches.flat().map((body) => body.length)).toEqual([256 * 1024]);
  });
});
