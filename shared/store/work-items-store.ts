/** WorkItems: issues and pull requests, one item per (project, number). */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AggregateRules } from '../domain/hourly-aggregate.ts';
import type { ClosedBug, OpenBug } from '../domain/hourly-metrics.ts';
import type { WorkItem } from '../domain/work-item.ts';
import { batchGet } from './batch-get.ts';
import { batchWrite } from './batch-write.ts';
import { countQueried } from './count-items.ts';
import { deleteQueried } from './delete-pages.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { AGGREGATE_NUMBER, type BeginWrite, endOfSecond, ProjectAggregatesStore } from './project-aggregates-store.ts';
import { queryAll } from './query-all.ts';
import { WORK_ITEMS_INDEXES } from './table-schemas.ts';

/** The condition of a write that never rolls an item back: absent, or stored older (GitHub's `updated_at`). */
const NEWER = 'attribute_not_exists(projectId) OR updatedAt < :updatedAt';
/** The condition of a rewrite of an item GitHub has not changed since it was read. */
const UNCHANGED = 'updatedAt = :updatedAt';
/** Conditional writes in flight at once per call. */
const WRITE_CONCURRENCY = 16;

/**
 * The writes of items inside {@link WorkItemsStore.writing}: each as the store's method of the same name does, but the
 * hourly aggregate's upkeep begins at a project's first change and ends (rebuilding it) once, when `writing` ends.
 */
export type ItemsWriter = Pick<WorkItemsStore, 'upsert' | 'putIfNewer' | 'replaceAllIfUnchanged'>;

export class WorkItemsStore {
  /** The projects' hourly aggregates, which every write of items keeps current. */
  readonly aggregates: ProjectAggregatesStore;

  /**
   * @param options.aggregateRules the rules a writer rebuilds a project's aggregate by; without them a write only marks
   *   it changed, and the next hourly run reads the project in full.
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    options: { readonly aggregateRules?: AggregateRules; readonly clock?: () => Date } = {},
  ) {
    this.aggregates = new ProjectAggregatesStore(client, tableName, options.aggregateRules, options.clock);
  }

  /**
   * Runs `write` as one write of items for the hourly aggregates: a project's aggregate is rebuilt (its bugs read)
   * once, after `write`, however many writes `write` makes, rather than after each. For the writes of one Lambda
   * invocation (a sync's chunk of pages): a writer in flight longer than that is taken for crashed.
   */
  async writing<T>(write: (writer: ItemsWriter) => Promise<T>): Promise<T> {
    return this.aggregates.aroundWrites((begin) =>
      write({
        upsert: (items, options) => this.upsertBeginning(begin, items, options),
        putIfNewer: (item) => this.putAllBeginning(begin, [item], NEWER).then((written) => written === 1),
        replaceAllIfUnchanged: (items) => this.putAllBeginning(begin, items, UNCHANGED),
      }),
    );
  }

  /**
   * Upserts items by (project, number), each only when GitHub's `updated_at` is newer than what is
   * stored, so replays and overlapping pages never roll an item back or count it twice.
   *
   * The stored versions are read first (BatchGetItem, 100 keys a call); unchanged items are not written at all.
   * Every other item is written with a conditional PutItem (absent, or stored older), so another writer (a webhook
   * delivery) storing a newer version between the read and the write keeps it. A project's first full sync is the
   * one exception: `soleWriter`, its items not stored yet go in batches of 25 without a condition (BatchWriteItem
   * takes none), because webhook deliveries are not applied to a project until its first sync has finished
   * (`shared/webhooks/apply-delivery.ts`), and the run lock and the Map give the project one sync at a time.
   * Conditional puts for a first full sync cost it 2.2x (25 projects x 400 items: 14.6 s against 6.6 s in
   * `npm run bench:daily`); later syncs write few new items.
   * @returns how many items were written.
   */
  async upsert(items: readonly WorkItem[], options: { readonly soleWriter?: boolean } = {}): Promise<number> {
    return this.writing((writer) => writer.upsert(items, options));
  }

  /**
   * Rewrites items, each unless GitHub changed it since it was read (its `updatedAt` is no longer the same): a label
   * renamed or deleted on the repository changes the items carrying it without touching their `updated_at`. One
   * write: each project's aggregate is rebuilt once for all.
   * @returns how many were written.
   */
  async replaceAllIfUnchanged(items: readonly WorkItem[]): Promise<number> {
    return this.writing((writer) => writer.replaceAllIfUnchanged(items));
  }

  /** Every item of a project, in number order. */
  async listForProject(projectId: string): Promise<WorkItem[]> {
    return queryAll(this.client, { TableName: this.tableName, ...this.projectKeyCondition(projectId) }, toWorkItem);
  }

  async countForProject(projectId: string): Promise<number> {
    return countQueried(this.client, { TableName: this.tableName, ...this.projectKeyCondition(projectId) });
  }

  /** Deletes every item of a project (a purge), and its hourly aggregate. @returns how many items were deleted. */
  async deleteForProject(projectId: string): Promise<number> {
    const deleted = await deleteQueried(
      this.client,
      {
        TableName: this.tableName,
        ...this.projectKeyCondition(projectId),
        ProjectionExpression: 'projectId, #number',
      },
      { keyOf: ({ projectId, number }) => ({ projectId, number }) },
    );
    await this.aggregates.delete(projectId);
    return deleted;
  }

  /** A project's bugs that are open and were opened by `now`, through the sparse open-bugs index. */
  async listOpenBugs(projectId: string, now: Date): Promise<OpenBug[]> {
    const index = WORK_ITEMS_INDEXES.openBugs;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#project = :projectId AND #opened <= :now',
        ProjectionExpression: 'projectId, #number, title, htmlUrl, assignees, #opened, severity, revenueImpact',
        ExpressionAttributeNames: { '#project': index.partitionKey, '#opened': index.sortKey, '#number': 'number' },
        ExpressionAttributeValues: { ':projectId': projectId, ':now': endOfSecond(now.getTime()) },
      },
      (item) => item as unknown as OpenBug,
    );
  }

  /** A project's bugs closed in [`since`, `until`] (to the second), through the closures index. */
  async listClosedBugs(projectId: string, since: string, until: Date): Promise<ClosedBug[]> {
    const index = WORK_ITEMS_INDEXES.bugClosures;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#project = :projectId AND #closed BETWEEN :since AND :until',
        ProjectionExpression: 'projectId, #number, #closed',
        ExpressionAttributeNames: { '#project': index.partitionKey, '#closed': index.sortKey, '#number': 'number' },
        ExpressionAttributeValues: { ':projectId': projectId, ':since': since, ':until': endOfSecond(until.getTime()) },
      },
      (item) => item as unknown as ClosedBug,
    );
  }

  /** A project's items, without its aggregate (item 0). */
  private projectKeyCondition(projectId: string) {
    return {
      KeyConditionExpression: 'projectId = :projectId AND #number > :aggregate',
      ExpressionAttributeNames: { '#number': 'number' },
      ExpressionAttributeValues: { ':projectId': projectId, ':aggregate': AGGREGATE_NUMBER },
    };
  }

  /** The stored `updatedAt` of each item that exists, by number (items of one page share a project). */
  private async storedVersions(items: readonly WorkItem[]): Promise<Map<number, string>> {
    const stored = await batchGet(
      this.client,
      this.tableName,
      items.map(({ projectId, number }) => ({ projectId, number })),
      { ProjectionExpression: '#number, updatedAt', ExpressionAttributeNames: { '#number': 'number' } },
    );
    return new Map(stored.map((item) => [item.number as number, item.updatedAt as string]));
  }

  /**
   * Writes one item unless the stored version is as new or newer (GitHub's `updated_at`): the guard the sync's upsert
   * uses for changed items, and what a webhook's change goes through, so an older event never overwrites a newer item.
   * @returns whether it was written.
   */
  async putIfNewer(item: WorkItem): Promise<boolean> {
    return this.writing((writer) => writer.putIfNewer(item));
  }

  /** {@link upsert}, begun for the projects it changes just before it writes them. */
  private async upsertBeginning(
    begin: BeginWrite,
    items: readonly WorkItem[],
    options: { readonly soleWriter?: boolean } = {},
  ): Promise<number> {
    const stored = await this.storedVersions(items);
    const batched = options.soleWriter ? items.filter((item) => !stored.has(item.number)) : [];
    const conditional = items.filter((item) => {
      const version = stored.get(item.number);
      return version === undefined ? !options.soleWriter : version < item.updatedAt;
    });
    if (batched.length + conditional.length === 0) return 0;
    await begin([...batched, ...conditional].map((item) => item.projectId));
    const written = await batchWrite(
      this.client,
      this.tableName,
      batched.map((item) => ({ PutRequest: { Item: withIndexKeys(item) } })),
    );
    return written + (await this.putAllBeginning(begin, conditional, NEWER));
  }

  /** Puts each item when `condition` holds, begun for their projects first. @returns how many were written. */
  private async putAllBeginning(begin: BeginWrite, items: readonly WorkItem[], condition: string): Promise<number> {
    if (items.length === 0) return 0;
    await begin(items.map((item) => item.projectId));
    let written = 0;
    for (let start = 0; start < items.length; start += WRITE_CONCURRENCY) {
      const results = await Promise.all(items.slice(start, start + WRITE_CONCURRENCY).map((item) => this.putIf(item, condition)));
      written += results.filter(Boolean).length;
    }
    return written;
  }

  /** Puts the item when `condition` (over the stored item and `:updatedAt`, the item's) holds. */
  private async putIf(item: WorkItem, condition: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: withIndexKeys(item),
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':updatedAt': item.updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

/** The item with its sparse index keys: open bugs, and closed bugs by closing time. */
function withIndexKeys(item: WorkItem): Record<string, unknown> {
  const isBug = item.kind === 'bug';
  return {
    ...item,
    ...(isBug && item.state === 'open' ? { openBugProject: item.projectId } : {}),
    ...(isBug && item.state === 'closed' && item.closedAt ? { closedBugProject: item.projectId } : {}),
  };
}

function toWorkItem(item: Record<string, unknown>): WorkItem {
  const { openBugProject: _open, closedBugProject: _closed, ...workItem } = item;
  return workItem as unknown as WorkItem;
}
