/**
 * The embedded DynamoDB: dynalite on loopback, in memory or persisted (LevelDB) under a folder, with the
 * stack's tables created from their CloudFormation definitions.
 */

import { Worker } from 'node:worker_threads';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { LocalTable } from './template.ts';

export interface EmbeddedDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 (a free port), on a worker thread of this process; persisted under
 * `directory` when given.
 */
export async function startEmbeddedDynamoDb(directory?: string): Promise<EmbeddedDynamoDb> {
  // A plain-JavaScript worker needs none of the process's loaders (tsx, polyfills).
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), { workerData: { path: directory }, execArgv: [] });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`embedded DynamoDB did not start: ${message.error}`)),
    );
    worker.once('error', reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('close');
      await exited;
    },
  };
}

type TableProperties = {
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
};

/**
 * Creates each table that does not exist yet, from its AWS::DynamoDB::Table properties (named by logical id).
 * A persisted table that lacks an index the template now declares is recreated with it and its items kept:
 * CloudFormation adds and backfills a new index in place, but dynalite cannot add one to an existing table.
 */
export async function createTables(client: DynamoDBClient, tables: readonly LocalTable[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of tables) {
    const properties = table.properties as TableProperties;
    if (!existing.has(table.logicalId)) {
      await createTable(client, table.logicalId, properties);
      continue;
    }
    const { Table: current } = await client.send(new DescribeTableCommand({ TableName: table.logicalId }));
    const indexes = new Set((current?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    if ((properties.GlobalSecondaryIndexes ?? []).every((index) => indexes.has(index.IndexName))) continue;
    const items = await scanAll(client, table.logicalId);
    await dropTables(client, [table]);
    await createTable(client, table.logicalId, properties);
    await writeAll(client, table.logicalId, items);
  }
}

async function createTable(client: DynamoDBClient, tableName: string, properties: TableProperties): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: properties.AttributeDefinitions,
      KeySchema: properties.KeySchema,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: index.Projection,
      })),
    }),
  );
  // dynalite answers CreateTable while the table is still CREATING, as DynamoDB does; writes before it is
  // ACTIVE are refused with ResourceNotFoundException.
  while ((await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus !== 'ACTIVE') {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function writeAll(client: DynamoDBClient, tableName: string, items: readonly Record<string, AttributeValue>[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    let requests = items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
}

/** Deletes every table (for a clean slate between tests), returning once they are gone. */
export async function dropTables(client: DynamoDBClient, tables: readonly LocalTable[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of tables) {
    if (!existing.has(table.logicalId)) continue;
    await client.send(new DeleteTableCommand({ TableName: table.logicalId }));
    // dynalite drops a table's entry a tick after answering; creating it again before then would be skipped.
    while (await tableExists(client, table.logicalId)) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
