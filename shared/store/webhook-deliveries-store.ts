/**
 * WebhookDeliveries: one item per GitHub delivery GUID (`X-GitHub-Delivery`, kept across redeliveries), so each
 * delivery is queued once. A table of its own rather than a key prefix in another: its items are tiny, short-lived
 * (TTL on `expiresAt`) and written by the endpoint alone, which is then granted this table only.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-client.ts';

export class WebhookDeliveriesStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /**
   * Records a delivery unless it is already recorded: true for the first arrival of its GUID, false for a replay or
   * redelivery.
   */
  async claim(deliveryId: string, event: string, now: Date): Promise<boolean> {
    return claimDeliveryItem(this.client, this.tableName, { deliveryId, event, receivedAt: now.toISOString() }, now, this.retentionDays);
  }

  /** Forgets a claimed delivery that could not be queued, so GitHub's redelivery of it is taken. */
  async release(deliveryId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { deliveryId } }));
  }
}

/**
 * Puts `item` in the WebhookDeliveries table unless a live item has its `deliveryId` (a conditional put), expiring
 * `days` after `now`: true if it was put. An expired item that TTL has not deleted yet (it may take days) counts as gone.
 */
export async function claimDeliveryItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: { readonly deliveryId: string } & Record<string, unknown>,
  now: Date,
  days: number,
): Promise<boolean> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item, expiresAt: nowSeconds + days * 86_400 },
        ConditionExpression: 'attribute_not_exists(deliveryId) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': nowSeconds },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
