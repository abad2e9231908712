/**
 * Snapshots: computed figures, keyed by project and `daily#<date>` (the daily job's health),
 * `hourly#<time>` (the hourly job's figures, per project and for the organisation) or `status#<date>`
 * (the weekly health check's status); and, under the organisation, `report#<week>` (the weekly report's
 * sent marker).
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DailySnapshot } from '../domain/daily-metrics.ts';
import type { Figures, HourlyFigures, HourlySnapshot } from '../domain/hourly-metrics.ts';
import type { ProjectStatus } from '../domain/project-health.ts';
import { expiryOf } from '../domain/sync-event.ts';
import { batchWrite } from './batch-write.ts';
import { countQueried } from './count-items.ts';
import { deleteQueried } from './delete-pages.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';

/** The partition holding the organisation-wide hourly figures. */
export const ORGANIZATION_SNAPSHOT_ID = '#organization';
/** The kinds of snapshot a project has: the daily job's health, the hourly job's figures, the weekly health check's status. */
export const PROJECT_SNAPSHOT_KINDS = ['daily', 'hourly', 'status'] as const;
export type ProjectSnapshotKind = (typeof PROJECT_SNAPSHOT_KINDS)[number];

/** Hourly snapshots live five weeks: long enough for week-over-week comparisons. */
const HOURLY_RETENTION_DAYS = 35;
/**
 * A project's figures unchanged since its last hourly snapshot are not written again until that snapshot is half its
 * retention old: readers take the latest snapshot at or before an hour, which holds them.
 */
export const HOURLY_SNAPSHOT_REFRESH_MS = (HOURLY_RETENTION_DAYS / 2) * 86_400_000;

export class SnapshotsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Writes (or rewrites, on a rerun of the same day) a project's daily snapshot. */
  async putDaily(snapshot: DailySnapshot): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...snapshot, snapshotKey: `daily#${snapshot.date}` } }));
  }

  async getDaily(projectId: string, date: string): Promise<DailySnapshot | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { projectId, snapshotKey: `daily#${date}` } }));
    if (!output.Item) return undefined;
    const { snapshotKey: _key, ...snapshot } = output.Item;
    return snapshot as DailySnapshot;
  }

  /**
   * Writes the hour's figures: one snapshot per project, except those whose figures a recent snapshot holds
   * (`unchanged`), and one for the organisation, keyed by the run's time, so a retried step rewrites the same items.
   * @returns how many snapshots were written.
   */
  async putHourly(figures: HourlyFigures, unchanged: ReadonlySet<string> = new Set()): Promise<number> {
    const item = (projectId: string, values: Figures & { projects?: number }) => ({
      PutRequest: {
        Item: {
          ...values,
          projectId,
          at: figures.at,
          snapshotKey: `hourly#${figures.at}`,
          expiresAt: expiryOf(figures.at, HOURLY_RETENTION_DAYS),
        },
      },
    });
    return batchWrite(this.client, this.tableName, [
      ...figures.projects.filter(({ projectId }) => !unchanged.has(projectId)).map(({ projectId, ...values }) => item(projectId, values)),
      item(ORGANIZATION_SNAPSHOT_ID, figures.totals),
    ]);
  }

  /** The newest hourly snapshot of a project (or of the organisation) at or before `until`. */
  async latestHourly(projectId = ORGANIZATION_SNAPSHOT_ID, until?: Date): Promise<HourlySnapshot | undefined> {
    return this.latest<HourlySnapshot>(projectId, 'hourly#', until ? until.toISOString() : '\uffff');
  }

  /** The newest daily snapshot of a project dated on or before `date` (YYYY-MM-DD). */
  async latestDaily(projectId: string, date: string): Promise<DailySnapshot | undefined> {
    return this.latest<DailySnapshot>(projectId, 'daily#', date);
  }

  /** Records a project's health status for a date (a rerun of the same date rewrites it). */
  async putStatus(status: ProjectStatus): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...status, snapshotKey: `status#${status.date}` } }));
  }

  /** The newest status of a project dated on or before `date`. */
  async latestStatus(projectId: string, date: string): Promise<ProjectStatus | undefined> {
    return this.latest<ProjectStatus>(projectId, 'status#', date);
  }

  async getStatus(projectId: string, date: string): Promise<ProjectStatus | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { projectId, snapshotKey: `status#${date}` } }),
    );
    if (!output.Item) return undefined;
    const { snapshotKey: _key, ...status } = output.Item;
    return status as ProjectStatus;
  }

  /**
   * Marks a week's report as being sent, unless it already was (or is being) sent.
   * @returns false when the week already has a marker: the report is never sent twice.
   */
  async claimReport(week: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { projectId: ORGANIZATION_SNAPSHOT_ID, snapshotKey: `report#${week}`, status: 'sending', claimedAt: at },
          ConditionExpression: 'attribute_not_exists(snapshotKey)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markReportSent(week: string, messageId: string, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId: ORGANIZATION_SNAPSHOT_ID, snapshotKey: `report#${week}` },
        UpdateExpression: 'SET #status = :sent, messageId = :messageId, sentAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':messageId': messageId, ':at': at },
      }),
    );
  }

  /** Keeps the claim, noting that the send's outcome is unknown (it may have gone out). */
  async markReportUnknown(week: string, reason: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId: ORGANIZATION_SNAPSHOT_ID, snapshotKey: `report#${week}` },
        UpdateExpression: 'SET #status = :unknown, reason = :reason',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':unknown': 'unknown', ':reason': reason },
      }),
    );
  }

  /** Clears a claim whose send failed, so a retry may send. */
  async releaseReport(week: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { projectId: ORGANIZATION_SNAPSHOT_ID, snapshotKey: `report#${week}` } }),
    );
  }

  async getReportMarker(
    week: string,
  ): Promise<{ status: 'sending' | 'sent' | 'unknown'; claimedAt: string; messageId?: string } | undefined> {
    const output = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { projectId: ORGANIZATION_SNAPSHOT_ID, snapshotKey: `report#${week}` },
        ConsistentRead: true,
      }),
    );
    return output.Item as { status: 'sending' | 'sent' | 'unknown'; claimedAt: string; messageId?: string } | undefined;
  }

  /** How many snapshots of each kind a project has. */
  async countForProject(projectId: string): Promise<Record<ProjectSnapshotKind, number>> {
    return this.byKind((kind) => countQueried(this.client, this.ofKind(projectId, kind)));
  }

  /** Deletes every snapshot of a project (a purge). @returns how many of each kind were deleted. */
  async deleteForProject(projectId: string): Promise<Record<ProjectSnapshotKind, number>> {
    return this.byKind((kind) =>
      deleteQueried(
        this.client,
        { ...this.ofKind(projectId, kind), ProjectionExpression: 'projectId, snapshotKey' },
        { keyOf: ({ projectId, snapshotKey }) => ({ projectId, snapshotKey }) },
      ),
    );
  }

  private async byKind(count: (kind: ProjectSnapshotKind) => Promise<number>): Promise<Record<ProjectSnapshotKind, number>> {
    const counts = await Promise.all(PROJECT_SNAPSHOT_KINDS.map(count));
    return Object.fromEntries(PROJECT_SNAPSHOT_KINDS.map((kind, index) => [kind, counts[index]!])) as Record<ProjectSnapshotKind, number>;
  }

  /** The query of a project's snapshots of one kind. */
  private ofKind(projectId: string, kind: ProjectSnapshotKind) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'projectId = :projectId AND begins_with(snapshotKey, :kind)',
      ExpressionAttributeValues: { ':projectId': projectId, ':kind': `${kind}#` },
    };
  }

  /** The newest item of a kind (`daily#`, `hourly#`) with a key up to `until`. */
  private async latest<T>(projectId: string, prefix: string, until: string): Promise<T | undefined> {
    const [item] = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'projectId = :projectId AND snapshotKey BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':projectId': projectId, ':first': prefix, ':last': `${prefix}${until}` },
        ScanIndexForward: false,
      },
      ({ snapshotKey: _key, expiresAt: _expiresAt, ...snapshot }) => snapshot as unknown as T,
      1,
    );
    return item;
  }
}
