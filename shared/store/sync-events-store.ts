/** SyncEvents: one item per event, keyed by run (`runId`) and `eventKey` (timestamp + a random suffix). */
import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiryOf, type EventType, type SyncEvent } from '../domain/sync-event.ts';
import { batchWrite } from './batch-write.ts';
import { queryAll } from './query-all.ts';

export const SYNC_EVENTS_INDEXES = {
  /** eventType + eventKey: events of one type in time order. */
  byType: { name: 'byType', partitionKey: 'eventType', sortKey: 'eventKey' },
  /** entity ("event") + eventKey: every event in time order, for listing and for expiry. */
  byTime: { name: 'byTime', partitionKey: 'entity', sortKey: 'eventKey' },
} as const;

const EVENT_ENTITY = 'event';

export class SyncEventsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async append(event: SyncEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...event,
          eventKey: `${event.timestamp}#${randomBytes(4).toString('hex')}`,
          entity: EVENT_ENTITY,
          expiresAt: expiryOf(event.timestamp, this.retentionDays),
        },
      }),
    );
  }

  /** The newest events first, of one type or of all. */
  async listRecent(options: { readonly eventType?: EventType; readonly limit: number }): Promise<SyncEvent[]> {
    const index = options.eventType ? SYNC_EVENTS_INDEXES.byType : SYNC_EVENTS_INDEXES.byTime;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': options.eventType ?? EVENT_ENTITY },
        ScanIndexForward: false,
      },
      toEvent,
      options.limit,
    );
  }

  /** Every event of one run, oldest first. */
  async listForRun(runId: string): Promise<SyncEvent[]> {
    return queryAll(
      this.client,
      { TableName: this.tableName, KeyConditionExpression: 'runId = :runId', ExpressionAttributeValues: { ':runId': runId } },
      toEvent,
    );
  }

  /**
   * Deletes every event older than `cutoff` (ISO time), a page at a time, through the time index.
   * @returns how many were deleted.
   */
  async deleteOlderThan(cutoff: string): Promise<number> {
    let deleted = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SYNC_EVENTS_INDEXES.byTime.name,
          KeyConditionExpression: 'entity = :entity AND eventKey < :cutoff',
          ExpressionAttributeValues: { ':entity': EVENT_ENTITY, ':cutoff': cutoff },
          ProjectionExpression: 'runId, eventKey',
          ExclusiveStartKey: startKey,
        }),
      );
      const deletes = (output.Items ?? []).map((item) => ({ DeleteRequest: { Key: { runId: item.runId, eventKey: item.eventKey } } }));
      deleted += await batchWrite(this.client, this.tableName, deletes);
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }
}

function toEvent(item: Record<string, unknown>): SyncEvent {
  const { entity: _entity, eventKey: _eventKey, expiresAt: _expiresAt, ...event } = item;
  return event as unknown as SyncEvent;
}
