/** SyncEvents: one item per event, keyed by run (`runId`) and `eventKey` (timestamp + a random suffix). */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type EventType, expiryOf, type SyncEvent } from '../domain/sync-event.ts';
import { deleteQueried } from './delete-pages.ts';
import { queryAll } from './query-all.ts';
import { SYNC_EVENTS_INDEXES } from './table-schemas.ts';

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
   * Deletes every event older than `cutoff` (ISO time), of one type or of all, a page at a time, through
   * the type or time index; events of the protected runs (still running) are kept.
   * @returns how many were deleted.
   */
  async deleteOlderThan(
    cutoff: string,
    options: { readonly eventType?: EventType; readonly protectedRunIds?: ReadonlySet<string> } = {},
  ): Promise<number> {
    const index = options.eventType ? SYNC_EVENTS_INDEXES.byType : SYNC_EVENTS_INDEXES.byTime;
    return this.deletePages(
      {
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk AND eventKey < :cutoff',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': options.eventType ?? EVENT_ENTITY, ':cutoff': cutoff },
      },
      0,
      options.protectedRunIds,
    );
  }

  /**
   * Keeps the newest `keep` events and deletes the older ones, except those of the protected runs.
   * @returns how many were deleted.
   */
  async deleteBeyondNewest(keep: number, protectedRunIds: ReadonlySet<string> = new Set()): Promise<number> {
    return this.deletePages(
      {
        IndexName: SYNC_EVENTS_INDEXES.byTime.name,
        KeyConditionExpression: 'entity = :entity',
        ExpressionAttributeValues: { ':entity': EVENT_ENTITY },
        ScanIndexForward: false,
      },
      keep,
      protectedRunIds,
    );
  }

  private async deletePages(
    query: Omit<QueryCommandInput, 'TableName' | 'ProjectionExpression'>,
    skip: number,
    protectedRunIds?: ReadonlySet<string>,
  ): Promise<number> {
    return deleteQueried(
      this.client,
      { ...query, TableName: this.tableName, ProjectionExpression: 'runId, eventKey' },
      {
        skip,
        keyOf: (item) => ({ runId: item.runId, eventKey: item.eventKey }),
        spare: (item) => protectedRunIds?.has(item.runId as string) ?? false,
      },
    );
  }
}

function toEvent(item: Record<string, unknown>): SyncEvent {
  const { entity: _entity, eventKey: _eventKey, expiresAt: _expiresAt, ...event } = item;
  return event as unknown as SyncEvent;
}
