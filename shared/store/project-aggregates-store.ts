/**
 * Each project's hourly aggregate (`shared/domain/hourly-aggregate.ts`), stored in WorkItems beside the project's
 * items as item number 0 (GitHub numbers issues from 1): every writer of the items has the table already, and a
 * purge that deletes the project's items deletes it too. The item also counts the writers in flight (`writers`)
 * and every begin and end of a write (`changes`):
 *
 * - a writer begins (ADD writers 1, changes 1, `dirtySince` set if absent, `lastBegan` set), writes its items, and
 *   ends (ADD writers -1, changes 1); the writer that leaves no other in flight rebuilds the aggregate from a strongly
 *   consistent read of the project's bugs and puts it only if `changes` is still what its end returned;
 * - a write is one Lambda invocation's at most: the sync's whole chunk of a project (however many pages) or one
 *   webhook delivery's items begin once and end once, so the project's bugs are read once for them;
 * - the hourly job moves a clean aggregate forward (or rebuilds one) with the same condition, so an aggregate is
 *   never stored over a write it did not see. A put that fails leaves the work to the writer that began since.
 *
 * A writer that crashed leaves `writers` above 0: the hourly job reads that project in full, and once
 * {@link CRASHED_WRITER_MS} have passed since the last writer began ({@link writerCrashed}) rebuilds it anyway.
 * No DynamoDB Streams (dynalite has none).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AggregateRules, buildAggregate, type ChangedSpan, fitsOneItem, type ProjectAggregate } from '../domain/hourly-aggregate.ts';
import { type ClosedBug, closuresSince, type OpenBug } from '../domain/hourly-metrics.ts';
import { batchGet } from './batch-get.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll, queryCounted } from './query-all.ts';
import { WORK_ITEMS_INDEXES } from './table-schemas.ts';

/** The aggregate's item number in WorkItems. */
export const AGGREGATE_NUMBER = 0;
/**
 * A writer in flight for longer than this has crashed: a write begins and ends inside one Lambda invocation, which
 * lasts 15 minutes at most (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
 */
export const CRASHED_WRITER_MS = 15 * 60_000;

/** A project's aggregate item: the upkeep counters, and the aggregate unless none was built since the last write. */
export interface StoredAggregate {
  readonly projectId: string;
  readonly writers: number;
  readonly changes: number;
  /** When the first writer since the last rebuild began. */
  readonly dirtySince?: string;
  /** When the last writer began: every writer in flight began at or before it. */
  readonly lastBegan?: string;
  readonly aggregate?: ProjectAggregate;
  /** Set instead of `aggregate` when it would not fit one item: the hourly job reads the project in full. */
  readonly overflow?: { readonly at: string; readonly rulesKey: string };
  /** Set when the project's hourly snapshot of the aggregate's instant was written: its figures are stored as they are. */
  readonly snapshotAt?: string;
}

/**
 * Whether the writers still counted in flight on a project's aggregate have all crashed at `now`: no writer began in
 * the last {@link CRASHED_WRITER_MS}, so none of them can still be running. Timed from the last begin, not the first
 * since the rebuild: a project written every few minutes always has a first begin older than that, and a live writer.
 * An item stored before `lastBegan` was kept has only `dirtySince`.
 */
export function writerCrashed(entry: Pick<StoredAggregate, 'writers' | 'dirtySince' | 'lastBegan'>, now: Date): boolean {
  const lastBegan = entry.lastBegan ?? entry.dirtySince;
  return entry.writers > 0 && lastBegan !== undefined && now.getTime() - Date.parse(lastBegan) > CRASHED_WRITER_MS;
}

/** Begins the upkeep of a write for these projects; a project already begun in the same write is not begun again. */
export type BeginWrite = (projectIds: readonly string[]) => Promise<void>;

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
    return this.aroundWrites(async (begin) => {
      await begin(projectIds);
      return write();
    });
  }

  /**
   * Runs `write`, which calls `begin` with the projects of its items before it writes them, as one write of the
   * upkeep protocol: each project is begun at its first change only (a write that changes nothing costs nothing) and
   * ended once, after `write`, when its aggregate is rebuilt (once, however many items were written).
   */
  async aroundWrites<T>(write: (begin: BeginWrite) => Promise<T>): Promise<T> {
    const begun = new Map<string, Promise<void>>();
    const begin: BeginWrite = async (projectIds) => {
      await Promise.all(
        projectIds.map((projectId) => {
          const beginning = begun.get(projectId) ?? this.begin(projectId);
          begun.set(projectId, beginning);
          return beginning;
        }),
      );
    };
    try {
      return await write(begin);
    } finally {
      await Promise.all(
        [...begun].map(async ([projectId, beginning]) => {
          // A begin that failed (the write failed with its error) is not ended: if it was applied after all, the
          // writer is taken for crashed in time.
          const began = await beginning.then(
            () => true,
            () => false,
          );
          if (!began) return;
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

  /**
   * A project's aggregate at `at`, counted from a strongly consistent read of its bugs, and how many WorkItems items
   * that read (`itemsRead`: every item of the project the Query scanned, which DynamoDB bills, bug or not).
   */
  async recount(
    projectId: string,
    at: Date,
    rules: AggregateRules,
  ): Promise<{ readonly aggregate: ProjectAggregate; readonly itemsRead: number }> {
    const { openBugs, closures, itemsRead } = await this.readProject(projectId, at);
    return { aggregate: buildAggregate(projectId, openBugs, closures, at, rules), itemsRead };
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
   * the writes that just ended. No key condition selects bugs (the table's sort key is the number, and a local index
   * can only be added with a new table), so the Query reads every item of the project and filters: `itemsRead`.
   */
  async readProject(projectId: string, at: Date): Promise<ProjectBugs & { readonly itemsRead: number }> {
    const { items, scanned } = await queryCounted(
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
      itemsRead: scanned,
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
        UpdateExpression: 'ADD writers :one, changes :one SET dirtySince = if_not_exists(dirtySince, :now), lastBegan = :now',
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
