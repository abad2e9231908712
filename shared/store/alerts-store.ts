/**
 * Alerts: each alert's state (keyed by its identity) and the outbox of notifications (keyed
 * `notification#<runId>`), whose per-channel delivery claims make every notification go out at most
 * once per channel, however often a task is retried.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertDigest } from '../domain/alert-message.ts';
import type { AlertState } from '../domain/alerts.ts';
import { expiryOf } from '../domain/sync-event.ts';
import { batchWrite } from './batch-write.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';

export const ALERTS_INDEXES = {
  /** openFlag (set only while an alert fires) + alertKey: the open alerts, without a Scan. */
  openAlerts: { name: 'openAlerts', partitionKey: 'openFlag', sortKey: 'alertKey' },
} as const;

const OPEN = 'open';
/** A resolved alert's state is kept this long (then expires), for `cto-jobs metrics` and audits. */
const RESOLVED_RETENTION_DAYS = 90;
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

const notificationKey = (runId: string) => `notification#${runId}`;

export class AlertsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Every alert that is firing, as of its last evaluation. */
  async listOpen(): Promise<AlertState[]> {
    const index = ALERTS_INDEXES.openAlerts;
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#open = :open',
        ExpressionAttributeNames: { '#open': index.partitionKey },
        ExpressionAttributeValues: { ':open': OPEN },
      },
      ({ alertKey: _key, openFlag: _flag, expiresAt: _expiresAt, ...state }) => state as unknown as AlertState,
    );
  }

  /** Writes alert states; a resolved one leaves the open index and expires later. */
  async saveStates(states: readonly AlertState[]): Promise<number> {
    return batchWrite(
      this.client,
      this.tableName,
      states.map((state) => ({
        PutRequest: {
          Item: {
            ...state,
            alertKey: state.alertId,
            ...(state.status === 'open' ? { openFlag: OPEN } : { expiresAt: expiryOf(state.resolvedAt ?? state.lastNotifiedAt, RESOLVED_RETENTION_DAYS) }),
          },
        },
      })),
    );
  }

  /**
   * Puts a run's notification in the outbox, once: a retried evaluation finds it there and keeps the
   * first (which holds every notice, even if the retry's plan is smaller).
   * @returns whether this call created it.
   */
  async enqueue(digest: AlertDigest): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { alertKey: notificationKey(digest.runId), digest, deliveries: {}, expiresAt: expiryOf(digest.at, NOTIFICATION_RETENTION_DAYS) },
          ConditionExpression: 'attribute_not_exists(alertKey)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getNotification(runId: string): Promise<Notification | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { alertKey: notificationKey(runId) } }));
    return output.Item ? { digest: output.Item.digest as AlertDigest, deliveries: (output.Item.deliveries ?? {}) as Record<string, Delivery> } : undefined;
  }

  /**
   * Claims the right to send a run's notification on one channel.
   * @returns false when an earlier attempt already claimed it (sent, failed, or died while sending).
   */
  async claimDelivery(runId: string, channel: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alertKey: notificationKey(runId) },
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

  async recordDelivery(runId: string, channel: string, delivery: Delivery): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { alertKey: notificationKey(runId) },
        UpdateExpression: 'SET deliveries.#channel = :delivery',
        ExpressionAttributeNames: { '#channel': channel },
        ExpressionAttributeValues: { ':delivery': delivery },
      }),
    );
  }
}
