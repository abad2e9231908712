/**
 * Snapshots: computed figures, keyed by project and `daily#<date>` (the daily job's health) or
 * `hourly#<time>` (the hourly job's figures, per project and for the organisation).
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DailySnapshot } from '../domain/daily-metrics.ts';
import type { Figures, HourlyFigures } from '../domain/hourly-metrics.ts';
import { expiryOf } from '../domain/sync-event.ts';
import { batchWrite } from './batch-write.ts';
import { queryAll } from './query-all.ts';

/** The partition holding the organisation-wide hourly figures. */
export const ORGANIZATION_SNAPSHOT_ID = '#organization';
/** Hourly snapshots live five weeks: long enough for week-over-week comparisons. */
const HOURLY_RETENTION_DAYS = 35;

export interface HourlySnapshot extends Figures {
  readonly projectId: string;
  readonly at: string;
  /** Only on the organisation's snapshot. */
  readonly projects?: number;
}

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

  /**
   * Writes the hour's figures: one snapshot per project and one for the organisation, keyed by the run's
   * time, so a retried step rewrites the same items.
   * @returns how many snapshots were written.
   */
  async putHourly(figures: HourlyFigures): Promise<number> {
    const item = (projectId: string, values: Figures & { projects?: number }) => ({
      PutRequest: {
        Item: { ...values, projectId, at: figures.at, snapshotKey: `hourly#${figures.at}`, expiresAt: expiryOf(figures.at, HOURLY_RETENTION_DAYS) },
      },
    });
    return batchWrite(this.client, this.tableName, [
      ...figures.projects.map(({ projectId, ...values }) => item(projectId, values)),
      item(ORGANIZATION_SNAPSHOT_ID, figures.totals),
    ]);
  }

  /** The newest hourly snapshot of a project (or of the organisation) at or before `until`. */
  async latestHourly(projectId = ORGANIZATION_SNAPSHOT_ID, until?: Date): Promise<HourlySnapshot | undefined> {
    const [item] = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'projectId = :projectId AND snapshotKey BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':projectId': projectId, ':first': 'hourly#', ':last': `hourly#${until ? until.toISOString() : '\uffff'}` },
        ScanIndexForward: false,
      },
      ({ snapshotKey: _key, expiresAt: _expiresAt, ...snapshot }) => snapshot as unknown as HourlySnapshot,
      1,
    );
    return item;
  }
}
