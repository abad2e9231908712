/**
 * A loopback stand-in for the stack's SQS queues and their Lambda event source mappings (SQS has no local emulator):
 * it answers SendMessage as SQS does (awsJson1.0, with the MD5 the SDK checks), refuses a body above the queue's
 * MaximumMessageSize, and hands each queue's messages to its consumer in batches of the mapping's BatchSize. With
 * ReportBatchItemFailures, only the messages the consumer reports failed are received again; a message received
 * `maxReceiveCount` times (the queue's RedrivePolicy) without success moves to the dead-letter queue.
 *
 * One difference, on purpose: a failed message is received again at once, not after the queue's visibility timeout
 * (minutes), so a local run sees the redrive happen.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template.ts';

/** A queue of the template, with what its consumer and redrive policy say. */
export interface LocalQueueDefinition {
  readonly logicalId: string;
  /** SQS's default, 256 KiB, when the template sets none. */
  readonly maxMessageBytes: number;
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
  readonly consumer?: {
    readonly entry: string;
    readonly logicalId: string;
    readonly batchSize: number;
    readonly reportsFailures: boolean;
  };
}

/** A message as SQS keeps it: its body and how often it was received. */
export interface LocalMessage {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
}

/** Invokes a consumer function with an SQS event. */
export type InvokeConsumer = (entry: string, logicalId: string, event: unknown) => Promise<unknown>;

/** SQS's MaximumMessageSize when a queue sets none (AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html). */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;

export class LocalQueues {
  /** Every message sent, in order, with its queue's logical id. */
  readonly sent: { readonly queue: string; readonly body: string }[] = [];
  /** Messages waiting in each queue, by logical id (dead-letter queues included). */
  private readonly waiting = new Map<string, LocalMessage[]>();
  private draining: Promise<void> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly queues: ReadonlyMap<string, LocalQueueDefinition>,
    private readonly invoke: InvokeConsumer,
  ) {
    for (const logicalId of queues.keys()) this.waiting.set(logicalId, []);
  }

  static async start(queues: readonly LocalQueueDefinition[], invoke: InvokeConsumer): Promise<LocalQueues> {
    let instance: LocalQueues | undefined;
    const server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const reply = instance!.answer(request.headers['x-amz-target'], body.toString('utf8'));
        response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    instance = new LocalQueues(server, endpoint, new Map(queues.map((queue) => [queue.logicalId, queue])), invoke);
    return instance;
  }

  /** The messages waiting in a queue (a dead-letter queue's are those that kept failing). */
  messages(logicalId: string): readonly LocalMessage[] {
    return this.waiting.get(logicalId) ?? [];
  }

  /** The queue's URL, as SQS writes it (`<endpoint>/<account>/<name>`). */
  urlOf(logicalId: string): string {
    return `${this.endpoint}/${LOCAL_ACCOUNT}/${logicalId}`;
  }

  /** Resolves once every queue with a consumer is empty: each message applied, or moved to its dead-letter queue. */
  settled(): Promise<void> {
    return this.draining;
  }

  /** Empties every queue (tests start each case from a clean slate). */
  async reset(): Promise<void> {
    await this.draining;
    for (const messages of this.waiting.values()) messages.length = 0;
    this.sent.length = 0;
  }

  async close(): Promise<void> {
    await this.draining;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(target: string | string[] | undefined, body: string): { status: number; body: unknown } {
    if (target !== 'AmazonSQS.SendMessage') return sqsError('UnsupportedOperation', `${String(target)} is not served locally`);
    const input = JSON.parse(body) as { QueueUrl?: string; MessageBody?: string };
    const logicalId = input.QueueUrl?.split('/').pop() ?? '';
    const queue = this.queues.get(logicalId);
    if (!queue) return sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    const messageBody = input.MessageBody ?? '';
    if (Buffer.byteLength(messageBody) > queue.maxMessageBytes) {
      const reason = `Message must be shorter than ${queue.maxMessageBytes} bytes.`;
      return sqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: ${reason}`);
    }
    const message: LocalMessage = { messageId: randomUUID(), body: messageBody, receiveCount: 0 };
    this.waiting.get(logicalId)!.push(message);
    this.sent.push({ queue: logicalId, body: messageBody });
    if (queue.consumer) this.draining = this.draining.then(() => this.drain(queue));
    return { status: 200, body: { MessageId: message.messageId, MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex') } };
  }

  /** Hands the queue's messages to its consumer until none is left, as the event source mapping polls. */
  private async drain(queue: LocalQueueDefinition): Promise<void> {
    const consumer = queue.consumer!;
    const waiting = this.waiting.get(queue.logicalId)!;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, consumer.batchSize);
      for (const message of batch) message.receiveCount++;
      const failed = await this.consume(queue, batch);
      for (const message of failed) {
        const exhausted = queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount;
        if (exhausted) this.waiting.get(queue.redrive!.deadLetterQueue)?.push(message);
        else waiting.push(message);
      }
    }
  }

  /** The batch's messages to receive again: those reported failed, or all of them when the invocation failed. */
  private async consume(queue: LocalQueueDefinition, batch: LocalMessage[]): Promise<LocalMessage[]> {
    const consumer = queue.consumer!;
    const arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queue.logicalId}`;
    const event = {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: randomUUID(),
        body: message.body,
        attributes: { ApproximateReceiveCount: String(message.receiveCount) },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(message.body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: LOCAL_REGION,
      })),
    };
    let response: unknown;
    try {
      response = await this.invoke(consumer.entry, consumer.logicalId, event);
    } catch {
      return batch;
    }
    if (!consumer.reportsFailures) return [];
    const failures = (response as SQSBatchResponse | undefined)?.batchItemFailures ?? [];
    const failedIds = new Set(failures.map((failure) => failure.itemIdentifier));
    return batch.filter((message) => failedIds.has(message.messageId));
  }
}

function sqsError(code: string, message: string): { status: number; body: unknown } {
  return { status: 400, body: { __type: `com.amazonaws.sqs#${code}`, message } };
}

/** A request's whole body. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
