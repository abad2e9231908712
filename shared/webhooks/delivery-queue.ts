/**
 * The endpoint's queue: accepted deliveries are published to an SNS topic whose one subscriber is the consumer's SQS
 * queue (raw message delivery, so an SQS message's body is the delivery). SNS rather than SQS SendMessage because
 * `@aws-sdk/client-sqs` is not a dependency of this project; the topic costs $0.50 per million deliveries.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DeliveryQueue } from './receive-delivery.ts';

export function topicDeliveryQueue(client: SNSClient, topicArn: string): DeliveryQueue {
  return {
    send: async (delivery) => {
      await client.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(delivery) }));
    },
  };
}
