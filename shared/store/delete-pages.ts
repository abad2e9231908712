import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './batch-write.ts';

/**
 * Pages through a query, skips its first `skip` items (the newest, when the query runs newest first),
 * and deletes the rest in batches of 25, except the items `spare` keeps.
 * @returns how many were deleted.
 */
export async function deleteQueried(
  client: DynamoDBDocumentClient,
  query: QueryCommandInput,
  options: {
    readonly skip?: number;
    readonly keyOf: (item: Record<string, unknown>) => Record<string, unknown>;
    readonly spare?: (item: Record<string, unknown>) => boolean;
  },
): Promise<number> {
  const skip = options.skip ?? 0;
  let deleted = 0;
  let seen = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await client.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey }));
    const items = output.Items ?? [];
    const beyond = items.slice(Math.max(0, skip - seen));
    seen += items.length;
    const deletes = beyond.filter((item) => !options.spare?.(item)).map((item) => ({ DeleteRequest: { Key: options.keyOf(item) } }));
    deleted += await batchWrite(client, query.TableName!, deletes);
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
