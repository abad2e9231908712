import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Runs a Query to its end (or until `limit` items), following LastEvaluatedKey from page to page.
 */
export async function queryAll<T>(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  toItem: (item: Record<string, unknown>) => T,
  limit?: number,
): Promise<T[]> {
  return (await queryCounted(client, input, toItem, limit)).items;
}

/**
 * Runs a Query as {@link queryAll} does, and says how many items DynamoDB read for it (ScannedCount): a
 * FilterExpression drops items after they are read, and each one read is billed and counted, returned or not.
 */
export async function queryCounted<T>(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  toItem: (item: Record<string, unknown>) => T,
  limit?: number,
): Promise<{ readonly items: T[]; readonly scanned: number }> {
  const items: T[] = [];
  let scanned = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await client.send(
      new QueryCommand({ ...input, ExclusiveStartKey: startKey, ...(limit === undefined ? {} : { Limit: limit - items.length }) }),
    );
    items.push(...(output.Items ?? []).map(toItem));
    scanned += output.ScannedCount ?? 0;
    startKey = output.LastEvaluatedKey;
  } while (startKey && (limit === undefined || items.length < limit));
  return { items, scanned };
}
