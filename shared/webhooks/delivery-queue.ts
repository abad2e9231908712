/** The endpoint's queue: each accepted delivery is one SQS message, its body the delivery as JSON. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryQueue } from './receive-delivery.ts';

export function sqsDeliveryQueue(client: SQSClient, queueUrl: string): DeliveryQueue {
  return {
    send: async (messageBody) => {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: messageBody }));
    },
  };
}
