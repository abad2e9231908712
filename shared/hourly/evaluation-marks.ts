/**
 * The latest instant each alert source was evaluated at, kept in the Alerts table (item `evaluated#<source>`), so a run of an
 * earlier hour (a replay with `--at`) is known as one however long ago the later run was, and never moves alert state back.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertSource } from '../domain/alerts.ts';
import type { AlertsStore } from '../store/alerts-store.ts';
import { documentClient, isConditionFailure } from '../store/dynamo-client.ts';

/** Whether a run evaluates the alerts (its time is the latest, or a retry of it) or replays an hour before `latest`. */
export type Evaluation = { readonly replay: false } | { readonly replay: true; readonly latest: string };

export class EvaluationMarks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Records `at` as the source's latest evaluation unless a later instant already is, in one conditional write: a retry of
   * the same run (same `at`) is no replay, and two runs can never both think they are the latest.
   */
  async claim(source: AlertSource, at: Date): Promise<Evaluation> {
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
}

/** The marks kept beside an alerts store's states (the same table, the container's one client). */
export function evaluationMarksOf(alerts: Pick<AlertsStore, 'tableName'>): EvaluationMarks {
  return new EvaluationMarks(documentClient, alerts.tableName);
}

/** The words a replay's summary starts with, so its output says no alert was evaluated. */
export function replayNote(at: Date, evaluation: Extract<Evaluation, { replay: true }>): string {
  return `replay of ${at.toISOString()} (alerts were last evaluated at ${evaluation.latest}): alert state unchanged, nothing notified`;
}
