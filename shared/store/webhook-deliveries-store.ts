/**
 * WebhookDeliveries: one item per GitHub delivery GUID (`X-GitHub-Delivery`, kept across redeliveries) once it is
 * queued, so a replay or a redelivery of it is not queued again. A table of its own rather than a key prefix in another: its items are tiny, short-lived
 * (TTL on `expiresAt`) and written by the endpoint alone, which is then granted this table only.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

export class WebhookDeliveriesStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /** Whether the GUID is recorded and not expired (a strongly consistent read: a replay right after is seen). */
  async wasQueued(deliveryId: string, now: Date): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { deliveryId }, ConsistentRead: true }));
    return Item !== undefined && !isExpired(Item, now);
  }

  /** Records a queued delivery's GUID for the retention days (again, if a replay raced it: the later write wins). */
  async recordQueued(deliveryId: string, event: string, now: Date): Promise<void> {
    const item = { deliveryId, event, receivedAt: now.toISOString(), expiresAt: expiresAtOf(now, this.retentionDays) };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}

/** The `expiresAt` (epoch seconds, the table's TTL attribute) of an item written at `now` and kept `days`. */
function expiresAtOf(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}

/** An item TTL has not deleted yet (it may take days) but whose `expiresAt` is past counts as gone. */
function isExpired(item: Record<string, unknown>, now: Date): boolean {
  return typeof item.expiresAt === 'number' && item.expiresAt < Math.floor(now.getTime() / 1000);
}
