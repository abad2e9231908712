import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './batch-write.ts';

type Item = Record<string, unknown>;

interface DeleteOptions {
  readonly skip?: number;
  readonly keyOf: (item: Item) => Item;
  readonly spare?: (item: Item) => boolean;
}

/**
 * Pages through a query, skips its first `skip` items (the newest, when the query runs newest first),
 * and deletes the rest in batches of 25, except the items `spare` keeps.
 * @returns how many were deleted.
 */
export async function deleteQueried(client: DynamoDBDocumentClient, query: QueryCommandInput, options: DeleteOptions): Promise<number> {
  return deletePaged(
    client,
    query.TableName!,
    (startKey) => client.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey })),
    options,
  );
}

/**
 * Pages through a Scan (its filter picks the items) and deletes what it finds in batches of 25. For rare
 * operator commands on tables without an index to query, never for a scheduled job.
 * @returns how many were deleted.
 */
export async function deleteScanned(
  client: DynamoDBDocumentClient,
  scan: ScanCommandInput,
  options: Pick<DeleteOptions, 'keyOf'>,
): Promise<number> {
  return deletePaged(
    client,
    scan.TableName!,
    (startKey) => client.send(new ScanCommand({ ...scan, ExclusiveStartKey: startKey })),
    options,
  );
}

async function deletePaged(
  client: DynamoDBDocumentClient,
  tableName: string,
  readPage: (startKey: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
  options: DeleteOptions,
): Promise<number> {
  const skip = options.skip ?? 0;
  let deleted = 0;
  let seen = 0;
  let startKey: Item | undefined;
  do {
    const output = await readPage(startKey);
    const items = output.Items ?? [];
    const beyond = items.slice(Math.max(0, skip - seen));
    seen += items.length;
    const deletes = beyond.filter((item) => !options.spare?.(item)).map((item) => ({ DeleteRequest: { Key: options.keyOf(item) } }));
    deleted += await batchWrite(client, tableName, deletes);
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
