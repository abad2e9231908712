/**
 * Alerts: each alert's state (keyed by its identity) and the outbox of notifications (keyed
 * `notification#<runId>#<source>`), whose per-channel delivery claims make every notification go out at most
 * once per channel, however often a task is retried.
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
  async claimEvaluation(source: AlertSource, at: Date): Promise<Evaluation> {
    const evaluatedAt = at.toISOString();
    const key = { alertKey: `evaluated#${source}` };
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
      const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      return { replay: true, latest: String(output.Item?.evaluatedAt) };
    }
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
   * @returns `queued` when this call created it; otherwise the notice keys of the one an earlier attempt
   * queued (a retry may see other data, and must not mark as notified what that one does not carry).
   */
  async enqueue(
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
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { alertKey: notificationKey(runId, source) }, ConsistentRead: true }),
    );
    return output.Item
      ? { digest: output.Item.digest as AlertDigest, deliveries: (output.Item.deliveries ?? {}) as Record<string, Delivery> }
      : undefined;
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
