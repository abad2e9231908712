import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { JOB_HISTORY_INDEXES } from '../../shared/store/job-history-store.ts';
import { SYNC_EVENTS_INDEXES } from '../../shared/store/sync-events-store.ts';

type IndexSpec = { readonly name: string; readonly partitionKey: string; readonly sortKey: string };

/**
 * JobHistory (one item per run) and SyncEvents (one item per step event): on-demand, point-in-time
 * recovery, TTL on `expiresAt`, and the GSIs the engine and CLI query (never a Scan).
 */
export class JobTables extends Construct {
  readonly jobHistory: dynamodb.Table;
  readonly syncEvents: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.jobHistory = table(this, 'JobHistory', { partitionKey: 'runId' }, Object.values(JOB_HISTORY_INDEXES));
    this.syncEvents = table(
      this,
      'SyncEvents',
      { partitionKey: 'runId', sortKey: 'eventKey' },
      Object.values(SYNC_EVENTS_INDEXES),
    );
  }
}

function table(
  scope: Construct,
  id: string,
  key: { readonly partitionKey: string; readonly sortKey?: string },
  indexes: readonly IndexSpec[],
): dynamodb.Table {
  const created = new dynamodb.Table(scope, id, {
    partitionKey: { name: key.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: key.sortKey ? { name: key.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'expiresAt',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of indexes) {
    created.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
    });
  }
  return created;
}
