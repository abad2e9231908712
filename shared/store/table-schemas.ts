/**
 * The tables' key schemas and secondary indexes, by table: the table construct declares them and the stores
 * read and query by them, so both sides agree. Free of the AWS SDK, so the CDK app can import it without
 * loading a client.
 */

/** A key attribute: its name and DynamoDB type (`S` string, `N` number). */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/** A table's primary key. */
export interface KeySchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

/** A global secondary index; its keys are strings unless typed, and it projects every attribute unless `keysOnly`. */
export interface IndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly partitionKeyType?: KeyAttribute['type'];
  readonly sortKey: string;
  /** Projects the table's and the index's keys only: for an index read to find an item's key, not the item. */
  readonly keysOnly?: boolean;
}

/** JobHistory: one item per run. */
export const JOB_HISTORY_KEY: KeySchema = { partitionKey: { name: 'runId', type: 'S' } };

/** SyncEvents: one item per step event of a run. */
export const SYNC_EVENTS_KEY: KeySchema = { partitionKey: { name: 'runId', type: 'S' }, sortKey: { name: 'eventKey', type: 'S' } };

/** Projects: one item per repository. */
export const PROJECTS_KEY: KeySchema = { partitionKey: { name: 'projectId', type: 'S' } };

/** WorkItems: issues and pull requests by project and number. */
export const WORK_ITEMS_KEY: KeySchema = { partitionKey: { name: 'projectId', type: 'S' }, sortKey: { name: 'number', type: 'N' } };

/** Snapshots: a project's figures by day and hour. */
export const SNAPSHOTS_KEY: KeySchema = { partitionKey: { name: 'projectId', type: 'S' }, sortKey: { name: 'snapshotKey', type: 'S' } };

/** Alerts: alert states and the notification outbox. */
export const ALERTS_KEY: KeySchema = { partitionKey: { name: 'alertKey', type: 'S' } };

/** WebhookDeliveries' key: the delivery's GUID (`X-GitHub-Delivery`). */
export const WEBHOOK_DELIVERIES_KEY: KeySchema = { partitionKey: { name: 'deliveryId', type: 'S' } };

/** JobHistory's indexes. */
export const JOB_HISTORY_INDEXES = {
  /** jobType + scheduledTime: a job type's runs in time order. */
  byJobType: { name: 'byJobType', partitionKey: 'jobType', sortKey: 'scheduledTime' },
  /** status + scheduledTime: running, failed or timed-out runs without a Scan. */
  byStatus: { name: 'byStatus', partitionKey: 'status', sortKey: 'scheduledTime' },
  /** entity ("run") + scheduledTime: every run in time order. */
  byTime: { name: 'byTime', partitionKey: 'entity', sortKey: 'scheduledTime' },
} as const satisfies Record<string, IndexSchema>;

/** SyncEvents' indexes. */
export const SYNC_EVENTS_INDEXES = {
  /** eventType + eventKey: events of one type in time order. */
  byType: { name: 'byType', partitionKey: 'eventType', sortKey: 'eventKey' },
  /** entity ("event") + eventKey: every event in time order, for listing and for expiry. */
  byTime: { name: 'byTime', partitionKey: 'entity', sortKey: 'eventKey' },
} as const satisfies Record<string, IndexSchema>;

/** Projects' indexes. */
export const PROJECTS_INDEXES = {
  /** activeFlag ("active", set only while active) + projectId: the projects to sync, without a Scan. */
  active: { name: 'active', partitionKey: 'activeFlag', sortKey: 'projectId' },
  /**
   * failingFlag ("failing", set only while the project has a failure streak) + projectId: a sparse index, so
   * the hourly watchdog reads the few failing projects, not every project.
   */
  failing: { name: 'failing', partitionKey: 'failingFlag', sortKey: 'projectId' },
  /**
   * repositoryId (GitHub's repository id, set once known) + projectId: a sparse, keys-only index that finds a renamed
   * or transferred repository's project, whose projectId is the name it was added with (ProjectsStore.findByRepository).
   */
  byRepository: { name: 'byRepository', partitionKey: 'repositoryId', partitionKeyType: 'N', sortKey: 'projectId', keysOnly: true },
} as const satisfies Record<string, IndexSchema>;

/** WorkItems' indexes. */
export const WORK_ITEMS_INDEXES = {
  /** openBugProject (set only while a bug is open) + createdAt: a sparse index of open bugs. */
  openBugs: { name: 'openBugs', partitionKey: 'openBugProject', sortKey: 'createdAt' },
  /** closedBugProject (set only on closed bugs) + closedAt: recent closures without a Scan. */
  bugClosures: { name: 'bugClosures', partitionKey: 'closedBugProject', sortKey: 'closedAt' },
} as const satisfies Record<string, IndexSchema>;

/** Alerts' indexes. */
export const ALERTS_INDEXES = {
  /**
   * trackedFlag (`tracked#<source>`, set while an alert is open or recently resolved) + alertKey: each
   * step reads only its own alerts to compare against, without a Scan.
   */
  trackedAlerts: { name: 'trackedAlerts', partitionKey: 'trackedFlag', sortKey: 'alertKey' },
} as const satisfies Record<string, IndexSchema>;
