/**
 * The redeliveries the hourly job asked GitHub for, one marker per delivery GUID in the WebhookDeliveries table
 * (`redelivery#<guid>`, apart from the endpoint's own `<guid>` items), so each failed event is asked for once. A
 * marker outlives GitHub's 3-day redelivery window, then TTL removes it.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RedeliveryRequests } from '../webhooks/redeliver-failed.ts';
import { isConditionFailure } from './dynamo-client.ts';

/** Days a marker is kept: past GitHub's 3-day window, after which nothing can be redelivered anyway. */
const MARKER_DAYS = 4;

export class RedeliveryRequestsStore implements RedeliveryRequests {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async claim(guid: string, now: Date): Promise<boolean> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { deliveryId: markerOf(guid), requestedAt: now.toISOString(), expiresAt: nowSeconds + MARKER_DAYS * 86_400 },
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

  async release(guid: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { deliveryId: markerOf(guid) } }));
  }
}

function markerOf(guid: string): string {
  return `redelivery#${guid}`;
}
