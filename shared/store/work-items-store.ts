/** WorkItems: issues and pull requests, one item per (project, number). */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkItem } from '../domain/work-item.ts';
import { isConditionFailure } from './dynamo-client.ts';

export const WORK_ITEMS_INDEXES = {
  /** openBugProject (set only while a bug is open) + createdAt: a sparse index of open bugs. */
  openBugs: { name: 'openBugs', partitionKey: 'openBugProject', sortKey: 'createdAt' },
  /** closedBugProject (set only on closed bugs) + closedAt: recent closures without a Scan. */
  bugClosures: { name: 'bugClosures', partitionKey: 'closedBugProject', sortKey: 'closedAt' },
} as const;

/** Writes in flight at once per upsert call. */
const WRITE_CONCURRENCY = 16;

export class WorkItemsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Upserts items by (project, number), each only when GitHub's `updated_at` is newer than what is
   * stored, so replays and overlapping pages never roll an item back or count it twice.
   * @returns how many items were written.
   */
  async upsert(items: readonly WorkItem[]): Promise<number> {
    let written = 0;
    for (let start = 0; start < items.length; start += WRITE_CONCURRENCY) {
      const results = await Promise.all(items.slice(start, start + WRITE_CONCURRENCY).map((item) => this.putIfNewer(item)));
      written += results.filter(Boolean).length;
    }
    return written;
  }

  /** Every item of a project, in number order. */
  async listForProject(projectId: string): Promise<WorkItem[]> {
    const items: WorkItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'projectId = :projectId',
          ExpressionAttributeValues: { ':projectId': projectId },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(output.Items ?? []).map(toWorkItem));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async putIfNewer(item: WorkItem): Promise<boolean> {
    const isBug = item.kind === 'bug';
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...item,
            ...(isBug && item.state === 'open' ? { openBugProject: item.projectId } : {}),
            ...(isBug && item.state === 'closed' && item.closedAt ? { closedBugProject: item.projectId } : {}),
          },
          ConditionExpression: 'attribute_not_exists(projectId) OR updatedAt < :updatedAt',
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

function toWorkItem(item: Record<string, unknown>): WorkItem {
  const { openBugProject: _open, closedBugProject: _closed, ...workItem } = item;
  return workItem as unknown as WorkItem;
}
