/** JobHistory: one item per run (key `runId`), plus one lock item per job type. */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type JobRun, type JobType, OPEN_STATUSES, type RunStatus } from '../domain/job-run.ts';
import { ENDED_STATUSES } from '../domain/job-run-rules.ts';
import { expiryOf } from '../domain/sync-event.ts';
import { TransientError } from '../errors.ts';
import { deleteQueried } from './delete-pages.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';
import { JOB_HISTORY_INDEXES } from './table-schemas.ts';

const RUN_ENTITY = 'run';

/** The overlap lock of a job type: who holds it and until when. */
export interface RunLock {
  readonly holderRunId: string;
  readonly expiresAtMs: number;
}

export type LockOutcome =
  | { readonly acquired: true; readonly replaced?: RunLock }
  | { readonly acquired: false; readonly holder: RunLock };

/** Fields written when a run ends. */
export interface RunEnding {
  readonly status: Exclude<RunStatus, 'pending' | 'running'>;
  readonly finishedAt: string;
  readonly durationMs?: number;
  readonly attempts?: number;
  readonly redriveCount?: number;
  readonly trigger?: JobRun['trigger'];
  readonly recordsProcessed?: number;
  readonly recordsFailed?: number;
  readonly errorName?: string;
  readonly errorMessage?: string;
  readonly summary?: string;
  readonly rateLimitDeferrals?: number;
}

export class JobHistoryStore {
  /** @param retentionDays how long a run's record lives after it ends (TTL). */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /**
   * Records a new run unless its slot is taken. On a conflict the row is read back (consistently): a
   * retry of the same execution finds its own row, which is never overwritten; any other execution of
   * the slot is a duplicate delivery.
   */
  async recordRun(
    run: JobRun,
  ): Promise<{ readonly outcome: 'recorded' } | { readonly outcome: 'own' | 'duplicate'; readonly existing: JobRun }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...run, entity: RUN_ENTITY, ...this.expiryFor(run) },
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
      return { outcome: 'recorded' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(run.runId);
      if (!existing) throw new TransientError(`run ${run.runId} exists but could not be read back`);
      return { outcome: existing.executionArn === run.executionArn ? 'own' : 'duplicate', existing };
    }
  }

  /** Counts a delivery of an already-recorded slot on that run's row, so duplicates stay visible. */
  async noteDuplicateDelivery(runId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'ADD duplicateDeliveries :one',
        ConditionExpression: 'attribute_exists(runId)',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** Takes the job type's overlap lock when it is free, expired, or already ours. */
  async acquireLock(jobType: JobType, runId: string, expiresAtMs: number, nowMs: number): Promise<LockOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { runId: lockIdOf(jobType), holderRunId: runId, expiresAtMs },
            ConditionExpression: 'attribute_not_exists(runId) OR expiresAtMs < :now OR holderRunId = :me',
            ExpressionAttributeValues: { ':now': nowMs, ':me': runId },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = output.Attributes as RunLock | undefined;
        return old && old.holderRunId !== runId ? { acquired: true, replaced: pickLock(old) } : { acquired: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const holder = await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: { runId: lockIdOf(jobType) }, ConsistentRead: true }),
        );
        if (holder.Item) return { acquired: false, holder: pickLock(holder.Item as RunLock) };
        // Released between the refused put and the read: try again.
        if (attempt === 3) throw new TransientError(`the ${jobType} lock kept changing hands while ${runId} tried to take it`);
      }
    }
  }

  /** Releases the lock if `runId` still holds it (a newer holder's lock is left alone). */
  async releaseLock(jobType: JobType, runId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { runId: lockIdOf(jobType) },
          ConditionExpression: 'holderRunId = :me',
          ExpressionAttributeValues: { ':me': runId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async markRunning(runId: string, startedAt: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET #status = :running, startedAt = :startedAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'running', ':startedAt': startedAt },
      }),
    );
  }

  /**
   * Ends a run on behalf of its own execution. A redriven execution may turn a run a reconciler
   * already closed into completed; another execution's row is never touched.
   * @returns false when the row belongs to another execution or does not exist.
   */
  async endRun(runId: string, executionArn: string, ending: RunEnding): Promise<boolean> {
    return this.update(runId, ending, 'executionArn = :executionArn', { ':executionArn': executionArn });
  }

  /**
   * Ends a run of the given execution that is still pending or running (reconciler, sweep, skipped
   * start): a run that already ended keeps its outcome, and a duplicate execution never closes the run
   * of the execution that owns the slot.
   * @returns false when the run had already ended or does not exist.
   */
  async endOpenRun(run: Pick<JobRun, 'runId' | 'executionArn'>, ending: RunEnding): Promise<boolean> {
    return this.update(run.runId, ending, 'executionArn = :executionArn AND #status IN (:open0, :open1)', {
      ':executionArn': run.executionArn,
      ':open0': OPEN_STATUSES[0],
      ':open1': OPEN_STATUSES[1],
    });
  }

  async get(runId: string): Promise<JobRun | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { runId }, ConsistentRead: true }));
    return output.Item ? toRun(output.Item) : undefined;
  }

  /** The newest runs first, of one job type or of all. */
  async listRecent(options: { readonly jobType?: JobType; readonly limit: number }): Promise<JobRun[]> {
    const index = options.jobType ? JOB_HISTORY_INDEXES.byJobType : JOB_HISTORY_INDEXES.byTime;
    return this.query(index.name, index.partitionKey, options.jobType ?? RUN_ENTITY, { limit: options.limit, newestFirst: true });
  }

  /**
   * Every run scheduled in (`after`, `until`], oldest first. Scheduled times are Scheduler's
   * second-precision form (`…T09:00:00Z`); manual runs carry milliseconds.
   */
  async listScheduledBetween(after: Date, until: Date): Promise<JobRun[]> {
    const runs = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: JOB_HISTORY_INDEXES.byTime.name,
        KeyConditionExpression: 'entity = :entity AND scheduledTime BETWEEN :after AND :until',
        ExpressionAttributeValues: {
          ':entity': RUN_ENTITY,
          ':after': after.toISOString().slice(0, 19),
          ':until': `${until.toISOString().slice(0, 19)}\uffff`,
        },
      },
      toRun,
    );
    return runs.filter((run) => Date.parse(run.scheduledTime) > after.getTime() && Date.parse(run.scheduledTime) <= until.getTime());
  }

  /**
   * Keeps the newest `keep` runs and each job type's newest `keepEndedPerJobType` ended runs, and deletes the
   * older ones, except runs still pending or running (and the lock items, which are not runs). The per-job floor
   * is the success rate's sample: hourly runs fill the newest `keep` in weeks, while a weekly job needs 20 weeks.
   * @returns how many were deleted.
   */
  async deleteBeyondNewest(keep: number, keepEndedPerJobType: number): Promise<number> {
    let position = 0;
    const endedSeen = new Map<string, number>();
    // Called on every run in turn, newest first.
    const stays = (item: Record<string, unknown>) => {
      position += 1;
      const status = item.status as string;
      if ((OPEN_STATUSES as readonly string[]).includes(status)) return true;
      if (!ENDED_STATUSES.has(status)) return position <= keep;
      const jobType = item.jobType as string;
      const newerEnded = endedSeen.get(jobType) ?? 0;
      endedSeen.set(jobType, newerEnded + 1);
      return position <= keep || newerEnded < keepEndedPerJobType;
    };
    return deleteQueried(
      this.client,
      {
        TableName: this.tableName,
        IndexName: JOB_HISTORY_INDEXES.byTime.name,
        KeyConditionExpression: 'entity = :entity',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':entity': RUN_ENTITY },
        ProjectionExpression: 'runId, jobType, #status',
        ScanIndexForward: false,
      },
      { keyOf: (item) => ({ runId: item.runId }), spare: stays },
    );
  }

  /** Runs in one status scheduled before a time, oldest first. */
  async listByStatus(status: RunStatus, scheduledBefore: string): Promise<JobRun[]> {
    return this.query(JOB_HISTORY_INDEXES.byStatus.name, 'status', status, { scheduledBefore, newestFirst: false });
  }

  private async query(
    indexName: string,
    partitionKey: string,
    value: string,
    options: { readonly limit?: number; readonly scheduledBefore?: string; readonly newestFirst: boolean },
  ): Promise<JobRun[]> {
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: options.scheduledBefore === undefined ? '#pk = :pk' : '#pk = :pk AND scheduledTime < :before',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: {
          ':pk': value,
          ...(options.scheduledBefore === undefined ? {} : { ':before': options.scheduledBefore }),
        },
        ScanIndexForward: !options.newestFirst,
      },
      toRun,
      options.limit,
    );
  }

  private expiryFor(run: { readonly finishedAt?: string }): { expiresAt?: number } {
    return run.finishedAt ? { expiresAt: expiryOf(run.finishedAt, this.retentionDays) } : {};
  }

  private async update(runId: string, ending: RunEnding, condition: string, values: Record<string, unknown>) {
    const fields = Object.entries({ ...ending, ...this.expiryFor(ending) }).filter(([, value]) => value !== undefined);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: `SET ${fields.map(([name]) => `#${name} = :${name}`).join(', ')}`,
          ConditionExpression: `attribute_exists(runId) AND ${condition}`,
          ExpressionAttributeNames: Object.fromEntries([['#status', 'status'], ...fields.map(([name]) => [`#${name}`, name])]),
          ExpressionAttributeValues: { ...values, ...Object.fromEntries(fields.map(([name, value]) => [`:${name}`, value])) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function lockIdOf(jobType: JobType): string {
  return `LOCK#${jobType}`;
}

function pickLock(item: RunLock): RunLock {
  return { holderRunId: item.holderRunId, expiresAtMs: item.expiresAtMs };
}

function toRun(item: Record<string, unknown>): JobRun {
  const { entity: _entity, expiresAt: _expiresAt, ...run } = item;
  return run as unknown as JobRun;
}
