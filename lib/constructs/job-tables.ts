import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  ALERTS_INDEXES,
  ALERTS_KEY,
  type IndexSchema,
  JOB_HISTORY_INDEXES,
  JOB_HISTORY_KEY,
  type KeyAttribute,
  type KeySchema,
  PROJECTS_INDEXES,
  PROJECTS_KEY,
  SNAPSHOTS_KEY,
  SYNC_EVENTS_INDEXES,
  SYNC_EVENTS_KEY,
  WORK_ITEMS_INDEXES,
  WORK_ITEMS_KEY,
} from '../../shared/store/table-schemas.ts';

/**
 * The stack's tables, all on-demand with point-in-time recovery, TTL on `expiresAt`, and the GSIs the
 * jobs and CLI query (never a Scan): JobHistory (one item per run), SyncEvents (one per step event),
 * Projects (one per repository), WorkItems (issues and pull requests by project and number) and
 * Snapshots (a project's figures by day and hour) and Alerts (alert states and the notification outbox).
 * Their keys and indexes are declared in shared/store/table-schemas.ts, which the stores read too.
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
    this.jobHistory = table(this, 'JobHistory', JOB_HISTORY_KEY, Object.values(JOB_HISTORY_INDEXES));
    this.syncEvents = table(this, 'SyncEvents', SYNC_EVENTS_KEY, Object.values(SYNC_EVENTS_INDEXES));
    this.projects = table(this, 'Projects', PROJECTS_KEY, Object.values(PROJECTS_INDEXES));
    this.workItems = table(this, 'WorkItems', WORK_ITEMS_KEY, Object.values(WORK_ITEMS_INDEXES));
    this.snapshots = table(this, 'Snapshots', SNAPSHOTS_KEY, []);
    this.alerts = table(this, 'Alerts', ALERTS_KEY, Object.values(ALERTS_INDEXES));
  }
}

const ATTRIBUTE_TYPES: Readonly<Record<KeyAttribute['type'], dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({ name: key.name, type: ATTRIBUTE_TYPES[key.type] });

function table(scope: Construct, id: string, key: KeySchema, indexes: readonly IndexSchema[]): dynamodb.Table {
  const created = new dynamodb.Table(scope, id, {
    partitionKey: attribute(key.partitionKey),
    sortKey: key.sortKey ? attribute(key.sortKey) : undefined,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'expiresAt',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of indexes) {
    created.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: attribute({ name: index.partitionKey, type: index.partitionKeyType ?? 'S' }),
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: index.keysOnly ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
    });
  }
  return created;
}
