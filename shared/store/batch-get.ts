import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../errors.ts';

/** DynamoDB's limit per BatchGetItem call. */
const BATCH_GET_SIZE = 100;
const MAX_ROUNDS = 8;

/**
 * Reads items by key, 100 keys a call, retrying the unprocessed keys with backoff (BatchGetItem returns throttled
 * keys as UnprocessedKeys). Keys with no item are left out of the result.
 * @throws TransientError when keys are still unprocessed after every retry.
 */
export async function batchGet(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  projection?: { readonly ProjectionExpression: string; readonly ExpressionAttributeNames?: Record<string, string> },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_SIZE) {
    let pending = keys.slice(start, start + BATCH_GET_SIZE);
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) throw new TransientError(`${pending.length} reads in ${tableName} stayed unprocessed`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** round * 25));
      const output = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...projection } } }));
      items.push(...(output.Responses?.[tableName] ?? []));
      pending = (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return items;
}
