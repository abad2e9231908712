import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createTables, startEmbeddedDynamoDb } from '../../../lib/local/embedded-dynamodb.ts';
import type { LocalTable } from '../../../lib/local/template.ts';

/** A table with the `active` index only, as an older version declared it, and the same table with `failing` too. */
const keys = { AttributeName: 'projectId', KeyType: 'HASH' };
const index = (name: string, partitionKey: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    { AttributeName: 'projectId', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'ALL' },
});
const attributes = ['projectId', 'activeFlag', 'failingFlag'].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
const older: LocalTable = {
  logicalId: 'Projects',
  properties: { AttributeDefinitions: attributes.slice(0, 2), KeySchema: [keys], GlobalSecondaryIndexes: [index('active', 'activeFlag')] },
};
const newer: LocalTable = {
  logicalId: 'Projects',
  properties: {
    AttributeDefinitions: attributes,
    KeySchema: [keys],
    GlobalSecondaryIndexes: [index('active', 'activeFlag'), index('failing', 'failingFlag')],
  },
};

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-dynalite-'));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('the embedded DynamoDB persisted by an older version', () => {
  it('gains an index the template now declares, keeping every item', async () => {
    let dynamo = await startEmbeddedDynamoDb(directory);
    let client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'local-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createTables(client, [older]);
    for (let n = 0; n < 60; n++) {
      const item = {
        projectId: { S: `acme/repo-${n}` },
        activeFlag: { S: 'active' },
        ...(n % 20 === 0 ? { failingFlag: { S: 'failing' } } : {}),
      };
      await client.send(new PutItemCommand({ TableName: 'Projects', Item: item }));
    }
    client.destroy();
    await dynamo.close();

    dynamo = await startEmbeddedDynamoDb(directory);
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'local-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await createTables(client, [newer]);
      expect((await client.send(new ScanCommand({ TableName: 'Projects', Select: 'COUNT' }))).Count).toBe(60);
      const failing = await client.send(
        new QueryCommand({
          TableName: 'Projects',
          IndexName: 'failing',
          KeyConditionExpression: 'failingFlag = :f',
          ExpressionAttributeValues: { ':f': { S: 'failing' } },
        }),
      );
      expect(failing.Items?.map((item) => item.projectId?.S)).toEqual(['acme/repo-0', 'acme/repo-20', 'acme/repo-40']);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
