/**
 * Each project's hourly aggregate (`shared/domain/hourly-aggregate.ts`), stored in WorkItems beside the project's
 * items as item number 0 (GitHub numbers issues from 1): every writer of the items has the table already, and a
 * purge that deletes the project's items deletes it too. The item also counts the writers in flight (`writers`)
 * and every begin and end of a write (`changes`):
 *
 * - a writer begins (ADD writers 1, changes 1, `dirtySince` set if absent), writes its items, and ends
 *   (ADD writers -1, changes 1); the writer that leaves no other in flight rebuilds the aggregate from a strongly
 *   consistent read of the project's bugs and puts it only if `changes` is still what its end returned;
 * - the hourly job moves a clean aggregate forward (or rebuilds one) with the same condition, so an aggregate is
 *   never stored over a write it did not see. A put that fails leaves the work to the writer that began since.
 *
 * A writer that crashed leaves `writers` above 0: the hourly job reads that project in full, and after
 * {@link CRASHED_WRITER_MS} rebuilds it anyway. No DynamoDB Streams (dynalite has none).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AggregateRules, buildAggregate, type ChangedSpan, fitsOneItem, type ProjectAggregate } from '../domain/hourly-aggregate.ts';
import { type ClosedBug, closuresSince, type OpenBug } from '../domain/hourly-metrics.ts';
import { batchGet } from './batch-get.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';
import { WORK_ITEMS_INDEXES } from './table-schemas.ts';

/** The aggregate's item number in WorkItems. */
export const AGGREGATE_NUMBER = 0;
/** A writer in flight for longer than this (a Lambda's 15-minute limit) has crashed. */
export const CRASHED_WRITER_MS = 15 * 60_000;

/** A project's aggregate item: the upkeep counters, and the aggregate unless none was built since the last write. */
export interface StoredAggregate {
  readonly projectId: string;
  readonly writers: number;
  readonly changes: number;
  /** When the first writer since the last rebuild began. */
  readonly dirtySince?: string;
  readonly aggregate?: ProjectAggregate;
  /** Set instead of `aggregate` when it would not fit one item: the hourly job reads the project in full. */
  readonly overflow?: { readonly at: string; readonly rulesKey: string };
  /** Set when the project's hourly snapshot of the aggregate's instant was written: its figures are stored as they are. */
  readonly snapshotAt?: string;
}

/** A project's bugs as the hourly figures need them. */
export interface ProjectBugs {
  readonly openBugs: OpenBug[];
  readonly closures: ClosedBug[];
}

const OPEN_BUG_FIELDS = ['projectId', 'number', 'title', 'htmlUrl', 'assignees', 'createdAt', 'severity', 'revenueImpact'];

export class ProjectAggregatesStore {
  /**
   * @param rules the rules a writer rebuilds by; without them a writer only marks the aggregate changed, and the
   *   hourly job reads that project in full and rebuilds it.
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly rules?: AggregateRules,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Runs `write` (of items of `projectIds`) between a begin and an end of the upkeep protocol. */
  async aroundWrite<T>(projectIds: readonly string[], write: () => Promise<T>): Promise<T> {
    const projects = [...new Set(projectIds)];
    await Promise.all(projects.map((projectId) => this.begin(projectId)));
    try {
      return await write();
    } finally {
      await Promise.all(
        projects.map(async (projectId) => {
          const counters = await this.end(projectId);
          if (counters.writers === 0 && this.rules) await this.rebuild(projectId, counters, this.clock(), this.rules);
        }),
      );
    }
  }

  /** The aggregate items of these projects (BatchGetItem, 100 keys a call), by project; a project never written has none. */
  async getMany(projectIds: readonly string[]): Promise<Map<string, StoredAggregate>> {
    const items = await batchGet(
      this.client,
      this.tableName,
      projectIds.map((projectId) => ({ projectId, number: AGGREGATE_NUMBER })),
    );
    return new Map(items.map(({ number: _number, ...stored }) => [stored.projectId as string, stored as unknown as StoredAggregate]));
  }

  /**
   * Rebuilds a project's aggregate at `at` from a strongly consistent read of its bugs, and stores it unless a writer
   * began or ended since `expected` (the counters as read; undefined: no aggregate item existed).
   * @returns whether it was stored.
   */
  async rebuild(
    projectId: string,
    expected: Pick<StoredAggregate, 'writers' | 'changes'> | undefined,
    at: Date,
    rules: AggregateRules,
  ): Promise<boolean> {
    return this.put((await this.recount(projectId, at, rules)).aggregate, expected);
  }

  /** A project's aggregate at `at`, counted from a strongly consistent read of its bugs, and how many bugs were read. */
  async recount(
    projectId: string,
    at: Date,
    rules: AggregateRules,
  ): Promise<{ readonly aggregate: ProjectAggregate; readonly bugsRead: number }> {
    const { openBugs, closures } = await this.readProject(projectId, at);
    return { aggregate: buildAggregate(projectId, openBugs, closures, at, rules), bugsRead: openBugs.length + closures.length };
  }

  /**
   * Stores an aggregate (with the writer count reset to 0) if the counters are still `expected`; `snapshotted` when the
   * project's hourly snapshot of the aggregate's instant is written.
   * @returns false when a writer began or ended meanwhile: it rebuilds.
   */
  async put(
    aggregate: ProjectAggregate,
    expected: Pick<StoredAggregate, 'writers' | 'changes'> | undefined,
    options: { readonly snapshotted?: boolean } = {},
  ): Promise<boolean> {
    const content = fitsOneItem(aggregate) ? { aggregate } : { overflow: { at: aggregate.at, rulesKey: aggregate.rulesKey } };
    const snapshot = options.snapshotted ? { snapshotAt: aggregate.at } : {};
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            projectId: aggregate.projectId,
            number: AGGREGATE_NUMBER,
            writers: 0,
            changes: expected?.changes ?? 0,
            ...content,
            ...snapshot,
          },
          ...(expected
            ? {
                ConditionExpression: 'writers = :writers AND changes = :changes',
                ExpressionAttributeValues: { ':writers': expected.writers, ':changes': expected.changes },
              }
            : { ConditionExpression: 'attribute_not_exists(projectId)' }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * A project's open bugs (opened later than `at` too) and its closures after `at` − 14 days (later ones too), read
   * from the table with a strongly consistent Query: the indexes are eventually consistent, and a rebuild must see
   * the writes that just ended.
   */
  async readProject(projectId: string, at: Date): Promise<ProjectBugs> {
    const items = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'projectId = :projectId AND #number > :aggregate',
        FilterExpression: '#kind = :bug AND (#state = :open OR closedAt > :since)',
        ProjectionExpression: [...OPEN_BUG_FIELDS.map((field) => `#${field}`), '#state', '#closedAt'].join(', '),
        ExpressionAttributeNames: Object.fromEntries(
          [...OPEN_BUG_FIELDS, 'kind', 'state', 'closedAt'].map((field) => [`#${field}`, field]),
        ),
        ExpressionAttributeValues: {
          ':projectId': projectId,
          ':aggregate': AGGREGATE_NUMBER,
          ':bug': 'bug',
          ':open': 'open',
          ':since': closuresSince(at),
        },
        ConsistentRead: true,
      },
      (item) => item,
    );
    return {
      openBugs: items.filter((item) => item.state === 'open').map(({ state: _state, ...bug }) => bug as unknown as OpenBug),
      closures: items
        .filter((item) => item.state === 'closed' && typeof item.closedAt === 'string')
        .map(({ projectId, number, closedAt }) => ({ projectId, number, closedAt }) as ClosedBug),
    };
  }

  /**
   * The items of the changed spans, through the open-bugs and closures indexes, each span widened to whole seconds
   * (GitHub's times have none of JavaScript's milliseconds, and the two do not compare as strings).
   */
  async readSpans(projectId: string, spans: readonly ChangedSpan[]): Promise<ProjectBugs> {
    const read = await Promise.all(
      spans.map((span) => {
        const index = WORK_ITEMS_INDEXES[span.index];
        const closures = span.index === 'bugClosures';
        return queryAll(
          this.client,
          {
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: '#project = :projectId AND #key BETWEEN :from AND :to',
            ProjectionExpression: closures ? '#projectId, #number, #key' : OPEN_BUG_FIELDS.map((field) => `#${field}`).join(', '),
            ExpressionAttributeNames: {
              '#project': index.partitionKey,
              '#key': index.sortKey,
              ...Object.fromEntries((closures ? ['projectId', 'number'] : OPEN_BUG_FIELDS).map((field) => [`#${field}`, field])),
            },
            ExpressionAttributeValues: { ':projectId': projectId, ':from': startOfSecond(span.from), ':to': endOfSecond(span.to) },
          },
          (item) => ({ closures, item }),
        );
      }),
    );
    const items = read.flat();
    return {
      openBugs: items.filter(({ closures }) => !closures).map(({ item }) => item as unknown as OpenBug),
      closures: items.filter(({ closures }) => closures).map(({ item }) => item as unknown as ClosedBug),
    };
  }

  /** Deletes a project's aggregate (a purge). */
  async delete(projectId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { projectId, number: AGGREGATE_NUMBER } }));
  }

  private async begin(projectId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId, number: AGGREGATE_NUMBER },
        UpdateExpression: 'ADD writers :one, changes :one SET dirtySince = if_not_exists(dirtySince, :now)',
        ExpressionAttributeValues: { ':one': 1, ':now': this.clock().toISOString() },
      }),
    );
  }

  private async end(projectId: string): Promise<Pick<StoredAggregate, 'writers' | 'changes'>> {
    const output = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId, number: AGGREGATE_NUMBER },
        UpdateExpression: 'ADD writers :minusOne, changes :one',
        ExpressionAttributeValues: { ':minusOne': -1, ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return output.Attributes as Pick<StoredAggregate, 'writers' | 'changes'>;
  }
}

/** A lower bound, as a sort key, for times from `instant`'s second on. */
function startOfSecond(instant: number): string {
  return new Date(instant).toISOString().slice(0, 19);
}

/**
 * An upper bound, as a sort key, for times up to `instant`'s second: GitHub writes `…T10:00:00Z` and
 * JavaScript `…T10:00:00.000Z`, which do not compare as strings. Callers filter the exact instant.
 */
export function endOfSecond(instant: number): string {
  return `${new Date(instant).toISOString().slice(0, 19)}Z\uffff`;
}
