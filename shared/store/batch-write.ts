import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../errors.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
const MAX_ROUNDS = 8;

export type WriteRequest =
  | { readonly PutRequest: { readonly Item: Record<string, unknown> } }
  | { readonly DeleteRequest: { readonly Key: Record<string, unknown> } };

/**
 * Sends puts and deletes in batches of 25, retrying the unprocessed ones with backoff (BatchWriteItem is
 * not atomic: throttled requests come back as UnprocessedItems).
 * @returns how many requests were applied.
 * @throws TransientError when requests are still unprocessed after every retry.
 */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, requests: readonly WriteRequest[]): Promise<number> {
  for (let start = 0; start < requests.length; start += BATCH_SIZE) {
    let pending = requests.slice(start, start + BATCH_SIZE);
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) {
        throw new TransientError(`${pending.length} writes in ${tableName} stayed unprocessed after ${MAX_ROUNDS} rounds`);
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** round * 25));
      const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as WriteRequest[] } }));
      pending = (output.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
  return requests.length;
}
