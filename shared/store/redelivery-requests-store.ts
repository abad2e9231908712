/**
 * The redeliveries the hourly job asked GitHub for, one marker per delivery GUID in the WebhookDeliveries table
 * (`redelivery#<guid>`, apart from the endpoint's own `<guid>` items), so each failed event is asked for once. A
 * marker outlives GitHub's 3-day redelivery window, then TTL removes it.
 */
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RedeliveryRequests } from '../webhooks/redeliver-failed.ts';
import { claimDeliveryItem } from './webhook-deliveries-store.ts';

/** Days a marker is kept: past GitHub's 3-day window, after which nothing can be redelivered anyway. */
const MARKER_DAYS = 4;

export class RedeliveryRequestsStore implements RedeliveryRequests {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async claim(guid: string, now: Date): Promise<boolean> {
    return claimDeliveryItem(
      this.client,
      this.tableName,
      { deliveryId: markerOf(guid), requestedAt: now.toISOString() },
      now,
      MARKER_DAYS,
    );
  }

  async release(guid: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { deliveryId: markerOf(guid) } }));
  }
}

function markerOf(guid: string): string {
  return `redelivery#${guid}`;
}
