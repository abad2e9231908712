import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../errors.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
const MAX_ROUNDS = 8;

/**
 * Deletes items by key in batches of 25, retrying the unprocessed ones with backoff
 * (BatchWriteItem is not atomic: throttled items come back as UnprocessedItems).
 * @returns how many keys were deleted.
 * @throws TransientError when items are still unprocessed after every retry.
 */
export async function batchDelete(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
): Promise<number> {
  for (let start = 0; start < keys.length; start += BATCH_SIZE) {
    let pending = keys.slice(start, start + BATCH_SIZE).map((Key) => ({ DeleteRequest: { Key } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) {
        throw new TransientError(`${pending.length} deletes in ${tableName} stayed unprocessed after ${MAX_ROUNDS} rounds`);
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** round * 25));
      const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }
  return keys.length;
}
