/**
 * The redeliveries the hourly job asked GitHub for, one marker per delivery GUID in the WebhookDeliveries table
 * (`redelivery#<guid>`, apart from the endpoint's own `<guid>` items), so each failed event is asked for once. A
 * marker is `claimed` before the request and `requested` or `refused` after GitHub's answer; one left `claimed` (the
 * run stopped in between) is claimed again once its lease has passed. It outlives GitHub's 3-day redelivery window,
 * then TTL removes it.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CLAIM_LEASE_MS, type RedeliveryRequests, type Refusal } from '../webhooks/redeliver-failed.ts';
import { isConditionFailure } from './dynamo-client.ts';

/** Days a marker is kept: past GitHub's 3-day window, after which nothing can be redelivered anyway. */
const MARKER_DAYS = 4;

type MarkerState = 'claimed' | 'requested' | 'refused';

export class RedeliveryRequestsStore implements RedeliveryRequests {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * A conditional put: taken unless a live marker is there, other than a claim older than the lease. An expired marker
   * TTL has not deleted yet (it may take days) counts as gone; a marker without a state (written before states were
   * kept, only once GitHub had taken the request) as requested.
   */
  async claim(guid: string, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.marker(guid, 'claimed', now),
          ConditionExpression: 'attribute_not_exists(deliveryId) OR expiresAt < :now OR (#state = :claimed AND since < :leaseStart)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':now': epochSeconds(now.getTime()),
            ':claimed': 'claimed' satisfies MarkerState,
            ':leaseStart': epochSeconds(now.getTime() - CLAIM_LEASE_MS),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordRequested(guid: string, now: Date): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.marker(guid, 'requested', now) }));
  }

  async recordRefused(guid: string, refusal: Refusal, now: Date): Promise<void> {
    const item = { ...this.marker(guid, 'refused', now), refusedStatus: refusal.status, refusedMessage: refusal.message };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async release(guid: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { deliveryId: markerOf(guid) } }));
  }

  /** A marker in `state` since `now` (epoch seconds, as the lease is compared), kept {@link MARKER_DAYS}. */
  private marker(guid: string, state: MarkerState, now: Date) {
    const since = epochSeconds(now.getTime());
    return { deliveryId: markerOf(guid), state, since, expiresAt: since + MARKER_DAYS * 86_400 };
  }
}

function markerOf(guid: string): string {
  return `redelivery#${guid}`;
}

function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
