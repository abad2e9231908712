import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** How many items a query matches, page by page (`Select: COUNT`: no item is returned). */
export async function countQueried(client: DynamoDBDocumentClient, query: Omit<QueryCommandInput, 'Select'>): Promise<number> {
  return countPaged((startKey) => client.send(new QueryCommand({ ...query, Select: 'COUNT', ExclusiveStartKey: startKey })));
}

/** How many items a Scan's filter matches: for rare operator commands, never for a scheduled job. */
export async function countScanned(client: DynamoDBDocumentClient, scan: Omit<ScanCommandInput, 'Select'>): Promise<number> {
  return countPaged((startKey) => client.send(new ScanCommand({ ...scan, Select: 'COUNT', ExclusiveStartKey: startKey })));
}

async function countPaged(
  readPage: (startKey: Record<string, unknown> | undefined) => Promise<{ Count?: number; LastEvaluatedKey?: Record<string, unknown> }>,
): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await readPage(startKey);
    count += output.Count ?? 0;
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return count;
}
