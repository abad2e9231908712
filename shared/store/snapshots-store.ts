/** Snapshots: a project's computed figures, keyed by project and `daily#<date>`. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DailySnapshot } from '../domain/daily-metrics.ts';

export class SnapshotsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Writes (or rewrites, on a rerun of the same day) a project's daily snapshot. */
  async putDaily(snapshot: DailySnapshot): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...snapshot, snapshotKey: `daily#${snapshot.date}` } }),
    );
  }

  async getDaily(projectId: string, date: string): Promise<DailySnapshot | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { projectId, snapshotKey: `daily#${date}` } }),
    );
    if (!output.Item) return undefined;
    const { snapshotKey: _key, ...snapshot } = output.Item;
    return snapshot as DailySnapshot;
  }
}
