/**
 * Alerts: each alert's state (keyed by its identity) and the outbox of notifications (keyed
 * `notification#<runId>#<source>`), whose per-channel delivery claims make every notification go out at most
 * once per channel, however often a task is retried. A notification queued outside a run (a purge's) is also
 * listed in the item `outbox#pending` until a run's Send Alerts has claimed every channel of it.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertDigest } from '../domain/alert-message.ts';
import { ALERT_SOURCES, type AlertSource, type AlertState, sourceOfRule } from '../domain/alerts.ts';
import { expiryOf } from '../domain/sync-event.ts';
import { batchWrite } from './batch-write.ts';
import { countScanned } from './count-items.ts';
import { deleteScanned } from './delete-pages.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';
import { ALERTS_INDEXES } from './table-schemas.ts';

const trackedFlagOf = (source: AlertSource) => `tracked#${source}`;
/** A closed alert's state is kept this long (then expires), for audits. */
const CLOSED_RETENTION_DAYS = 90;
const NOTIFICATION_RETENTION_DAYS = 30;

export type DeliveryStatus = 'sending' | 'sent' | 'failed';

export interface Delivery {
  readonly status: DeliveryStatus;
  readonly at: string;
  readonly attempts?: number;
  readonly error?: string;
}

export interface Notification {
  readonly digest: AlertDigest;
  readonly deliveries: Readonly<Record<string, Delivery>>;
}

const notificationKey = (runId: string, source: AlertSource) => `notification#${runId}#${source}`;

/** A run id holds `#` (`projects_purge#<at>#<owner/repo>`); a source never does. */
const NOTIFICATION_KEY = /^notification#(?<runId>.+)#(?<source>[^#]+)$/;

/** The item whose string set `notificationKeys` lists the notifications queued outside a run, not yet delivered. */
const PENDING_NOTIFICATIONS = { alertKey: 'outbox#pending' };

/** A notification queued outside a run, and what it was queued under; `notification` is undefined once it expired. */
export interface PendingNotification {
  readonly runId: string;
  readonly source: AlertSource;
  readonly notification: Notification | undefined;
}

/**
 * Notice keys in one item: 15,000 of 12 characters take about 200 KB by DynamoDB's item-size rules,
 * leaving the notification's digest (100 notices at most) room under the 400 KB limit.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
 */
const NOTICE_KEYS_PER_ITEM = 15_000;

/** Where the notice keys past a notification's own are: its attempt's parts 1 to `parts`. */
interface MoreNoticeKeys {
  readonly attempt: string;
  readonly parts: number;
}

const noticeKeysPartKey = (notificationKey: string, attempt: string, part: number) => `${notificationKey}#keys#${attempt}#${part}`;

/** What claims evaluations: the alerts' sources, and the daily job (a replay of an earlier day syncs nothing). */
export type EvaluationSource = AlertSource | 'daily';

const evaluationKey = (source: EvaluationSource) => ({ alertKey: `evaluated#${source}` });

/** Whether a run evaluates the alerts (its time is the latest, or a retry of it) or replays an hour before `latest`. */
export type Evaluation = { readonly replay: false } | { readonly replay: true; readonly latest: string };

export class AlertsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Records `at` as the source's latest evaluation (item `evaluated#<source>`) unless a later instant already is, in one
   * conditional write: a retry of the same run (same `at`) is no replay, and two runs can never both think they are the latest.
   * A run of an earlier hour (a replay with `--at`) is known as one however long ago the later run was.
   */
  async claimEvaluation(source: EvaluationSource, at: Date): Promise<Evaluation> {
    const evaluatedAt = at.toISOString();
    const key = evaluationKey(source);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, evaluatedAt },
          // ISO-8601 instants of one format (toISOString) order as strings.
          ConditionExpression: 'attribute_not_exists(alertKey) OR evaluatedAt <= :at',
          ExpressionAttributeValues: { ':at': evaluatedAt },
        }),
      );
      return { replay: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { replay: true, latest: String(await this.latestEvaluation(source)) };
    }
  }

  /** The latest instant a source claimed ({@link claimEvaluation}), as an ISO-8601 string; undefined before the first. */
  async latestEvaluation(source: EvaluationSource): Promise<string | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: evaluationKey(source), ConsistentRead: true }));
    return output.Item?.evaluatedAt as string | undefined;
  }

  /** Every alert of a source that is open or was resolved less than a cooldown ago, as of its last evaluation. */
  async listTracked(source: AlertSource): Promise<AlertState[]> {
    const index = ALERTS_INDEXES.trackedAlerts;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#tracked = :tracked',
        ExpressionAttributeNames: { '#tracked': index.partitionKey },
        ExpressionAttributeValues: { ':tracked': trackedFlagOf(source) },
      },
      ({ alertKey: _key, trackedFlag: _flag, expiresAt: _expiresAt, ...state }) => state as unknown as AlertState,
    );
  }

  /** Every alert that is firing, of every source. */
  async listOpen(): Promise<AlertState[]> {
    const tracked = await Promise.all(ALERT_SOURCES.map((source) => this.listTracked(source)));
    return tracked.flat().filter((state) => state.status === 'open');
  }

  /** Writes alert states; a closed one leaves the tracked index and expires later. */
  async saveStates(states: readonly AlertState[]): Promise<number> {
    return batchWrite(
      this.client,
      this.tableName,
      states.map((state) => ({
        PutRequest: {
          Item: {
            ...state,
            alertKey: state.alertId,
            ...(state.status === 'closed'
              ? { expiresAt: expiryOf(state.resolvedAt ?? state.lastNotifiedAt, CLOSED_RETENTION_DAYS) }
              : { trackedFlag: trackedFlagOf(sourceOfRule(state.rule)) }),
          },
        },
      })),
    );
  }

  /** How many alert states (open, resolved or closed) are about a project. */
  async countForProject(projectId: string): Promise<number> {
    return countScanned(this.client, this.statesOf(projectId));
  }

  /**
   * Deletes every alert state about a project (a purge). A Scan: closed states leave the tracked index, and
   * no index holds states by project; an operator's purge is rare, the table small beside the others.
   * @returns how many were deleted.
   */
  async deleteForProject(projectId: string): Promise<number> {
    return deleteScanned(
      this.client,
      { ...this.statesOf(projectId), ProjectionExpression: 'alertKey' },
      { keyOf: ({ alertKey }) => ({ alertKey }) },
    );
  }

  /** The Scan of a project's alert states: items with a rule (the outbox and evaluation marks have none). */
  private statesOf(projectId: string) {
    return {
      TableName: this.tableName,
      FilterExpression: 'projectId = :projectId AND attribute_exists(#rule)',
      ExpressionAttributeNames: { '#rule': 'rule' },
      ExpressionAttributeValues: { ':projectId': projectId },
    };
  }

  /**
   * Puts a run's notification in the outbox, once, with the keys of every notice it carries.
   *
   * A first run over a large backlog notifies tens of thousands of alerts, more keys than one item holds
   * (400 KB): the first {@link NOTICE_KEYS_PER_ITEM} go in the notification's item, the rest in items of
   * their own, written first under this attempt's id, so an earlier attempt's keys are never overwritten and
   * the parts of an attempt that died before its notification was written merely expire.
   *
   * A notification queued outside a run (`outsideRun`: a purge's, which no run's Send Alerts looks up by its run
   * id) is then listed as pending, for the next hourly run to deliver ({@link listPending}). Listed only once it
   * exists, so no run can find it listed but absent and drop it; a purge that dies in between leaves its
   * alerts' states in place, and its rerun notifies them.
   * @returns `queued` when this call created it; otherwise the notice keys of the one an earlier attempt
   * queued (a retry may see other data, and must not mark as notified what that one does not carry).
   */
  async enqueue(
    digest: AlertDigest,
    noticeKeys: readonly string[],
    options: { readonly outsideRun?: boolean } = {},
  ): Promise<{ readonly queued: true } | { readonly queued: false; readonly noticeKeys: ReadonlySet<string> }> {
    const queued = await this.putNotification(digest, noticeKeys);
    if (options.outsideRun) await this.updatePending('ADD', notificationKey(digest.runId, digest.source));
    return queued;
  }

  private async putNotification(
    digest: AlertDigest,
    noticeKeys: readonly string[],
  ): Promise<{ readonly queued: true } | { readonly queued: false; readonly noticeKeys: ReadonlySet<string> }> {
    const key = notificationKey(digest.runId, digest.source);
    const expiresAt = expiryOf(digest.at, NOTIFICATION_RETENTION_DAYS);
    const parts: string[][] = [];
    for (let start = 0; start < noticeKeys.length; start += NOTICE_KEYS_PER_ITEM) {
      parts.push(noticeKeys.slice(start, start + NOTICE_KEYS_PER_ITEM));
    }
    const [first = [], ...rest] = parts;
    const moreNoticeKeys: MoreNoticeKeys = { attempt: randomUUID(), parts: rest.length };
    await batchWrite(
      this.client,
      this.tableName,
      rest.map((keys, index) => ({
        PutRequest: { Item: { alertKey: noticeKeysPartKey(key, moreNoticeKeys.attempt, index + 1), noticeKeys: keys, expiresAt } },
      })),
    );
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            alertKey: key,
            digest,
            noticeKeys: first,
            ...(rest.length > 0 ? { moreNoticeKeys } : {}),
            deliveries: {},
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(alertKey)',
        }),
      );
      return { queued: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { queued: false, noticeKeys: await this.queuedNoticeKeys(key) };
    }
  }

  /** Every notice key of the notification queued under `key`, its own and its parts'. */
  private async queuedNoticeKeys(key: string): Promise<ReadonlySet<string>> {
    const read = async (alertKey: string, projection: string) =>
      (
        await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: { alertKey }, ProjectionExpression: projection, ConsistentRead: true }),
        )
      ).Item;
    const notification = await read(key, 'noticeKeys, moreNoticeKeys');
    const more = notification?.moreNoticeKeys as MoreNoticeKeys | undefined;
    const parts = await Promise.all(
      Array.from({ length: more?.parts ?? 0 }, (_, index) => read(noticeKeysPartKey(key, more!.attempt, index + 1), 'noticeKeys')),
    );
    return new Set([notification, ...parts].flatMap((item) => (item?.noticeKeys ?? []) as string[]));
  }

  async getNotification(runId: string, source: AlertSource): Promise<Notification | undefined> {
    return this.notificationAt(notificationKey(runId, source));
  }

  private async notificationAt(alertKey: string): Promise<Notification | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { alertKey }, ConsistentRead: true }));
    return output.Item
      ? { digest: output.Item.digest as AlertDigest, deliveries: (output.Item.deliveries ?? {}) as Record<string, Delivery> }
      : undefined;
  }

  /** The notifications queued outside a run ({@link enqueue} with `outsideRun`) that no run has settled yet. */
  async listPending(): Promise<PendingNotification[]> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: PENDING_NOTIFICATIONS, ConsistentRead: true }));
    const keys = [...((output.Item?.notificationKeys ?? []) as Iterable<string>)].sort();
    return Promise.all(
      keys.map(async (key) => {
        const { runId, source } = NOTIFICATION_KEY.exec(key)!.groups!;
        return { runId: runId!, source: source as AlertSource, notification: await this.notificationAt(key) };
      }),
    );
  }

  /** Takes a notification off the pending list: every channel of it is claimed, so no later run may try it again. */
  async settlePending(runId: string, source: AlertSource): Promise<void> {
    await this.updatePending('DELETE', notificationKey(runId, source));
  }

  /** Adds a key to the pending list's string set or deletes one from it, atomically beside concurrent writers. */
  private async updatePending(operation: 'ADD' | 'DELETE', key: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: PENDING_NOTIFICATIONS,
        UpdateExpression: `${operation} notificationKeys :key`,
        ExpressionAttributeValues: { ':key': new Set([key]) },
      }),
    );
  }

  /**
   * Claims the right to send a run's notification on one channel.
   * @returns false when an earlier attempt already claimed it (sent, failed, or died while sending).
   */
  async claimDelivery(runId: string, source: AlertSource, channel: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alertKey: notificationKey(runId, source) },
          UpdateExpression: 'SET deliveries.#channel = :claim',
          ConditionExpression: 'attribute_exists(alertKey) AND attribute_not_exists(deliveries.#channel)',
          ExpressionAttributeNames: { '#channel': channel },
          ExpressionAttributeValues: { ':claim': { status: 'sending', at } satisfies Delivery },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordDelivery(runId: string, source: AlertSource, channel: string, delivery: Delivery): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { alertKey: notificationKey(runId, source) },
        UpdateExpression: 'SET deliveries.#channel = :delivery',
        ExpressionAttributeNames: { '#channel': channel },
        ExpressionAttributeValues: { ':delivery': delivery },
      }),
    );
  }
}
