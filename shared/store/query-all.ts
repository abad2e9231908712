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
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await client.send(
      new QueryCommand({ ...input, ExclusiveStartKey: startKey, ...(limit === undefined ? {} : { Limit: limit - items.length }) }),
    );
    items.push(...(output.Items ?? []).map(toItem));
    startKey = output.LastEvaluatedKey;
  } while (startKey && (limit === undefined || items.length < limit));
  return items;
}
