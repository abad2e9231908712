/**
 * The consumer's SQS batch: each message applied on its own, and those that failed reported back (partial batch
 * response), so SQS retries only them and moves one that keeps failing to the dead-letter queue.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { logger } from '../logger.ts';
import { type ApplyDependencies, applyDelivery } from './apply-delivery.ts';
import { QueuedDeliverySchema } from './deliveries.ts';

export async function applyBatch(
  deps: ApplyDependencies,
  records: readonly Pick<SQSRecord, 'messageId' | 'body'>[],
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    try {
      const delivery = QueuedDeliverySchema.parse(JSON.parse(record.body));
      const outcome = await applyDelivery(deps, delivery);
      logger.info('webhook delivery applied', {
        deliveryId: delivery.deliveryId,
        event: delivery.event,
        action: delivery.action,
        repository: delivery.repository.fullName,
        ...(delivery.event === 'label' ? { label: delivery.label.name } : { number: delivery.item.number }),
        outcome,
      });
    } catch (error) {
      logger.error('webhook delivery failed; SQS will retry it', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
