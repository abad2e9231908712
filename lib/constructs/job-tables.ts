import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ALERTS_INDEXES, JOB_HISTORY_INDEXES, PROJECTS_INDEXES, SYNC_EVENTS_INDEXES, WORK_ITEMS_INDEXES } from '../../shared/store/table-indexes.ts';

type IndexSpec = { readonly name: string; readonly partitionKey: string; readonly sortKey: string };

/**
 * The stack's tables, all on-demand with point-in-time recovery, TTL on `expiresAt`, and the GSIs the
 * jobs and CLI query (never a Scan): JobHistory (one item per run), SyncEvents (one per step event),
 * Projects (one per repository), WorkItems (issues and pull requests by project and number) and
 * Snapshots (a project's figures by day and hour) and Alerts (alert states and the notification outbox).
 */
export class JobTables extends Construct {
  readonly jobHistory: dynamodb.Table;
  readonly syncEvents: dynamodb.Table;
  readonly projects: dynamodb.Table;
  readonly workItems: dynamodb.Table;
  readonly snapshots: dynamodb.Table;
  readonly alerts: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.jobHistory = table(this, 'JobHistory', { partitionKey: 'runId' }, Object.values(JOB_HISTORY_INDEXES));
    this.syncEvents = table(
      this,
      'SyncEvents',
      { partitionKey: 'runId', sortKey: 'eventKey' },
      Object.values(SYNC_EVENTS_INDEXES),
    );
    this.projects = table(this, 'Projects', { partitionKey: 'projectId' }, Object.values(PROJECTS_INDEXES));
    this.workItems = table(
      this,
      'WorkItems',
      { partitionKey: 'projectId', sortKey: 'number', sortKeyType: dynamodb.AttributeType.NUMBER },
      Object.values(WORK_ITEMS_INDEXES),
    );
    this.snapshots = table(this, 'Snapshots', { partitionKey: 'projectId', sortKey: 'snapshotKey' }, []);
    this.alerts = table(this, 'Alerts', { partitionKey: 'alertKey' }, Object.values(ALERTS_INDEXES));
  }
}

function table(
  scope: Construct,
  id: string,
  key: { readonly partitionKey: string; readonly sortKey?: string; readonly sortKeyType?: dynamodb.AttributeType },
  indexes: readonly IndexSpec[],
): dynamodb.Table {
  const created = new dynamodb.Table(scope, id, {
    partitionKey: { name: key.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: key.sortKey ? { name: key.sortKey, type: key.sortKeyType ?? dynamodb.AttributeType.STRING } : undefined,
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
