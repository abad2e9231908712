/**
 * The tables' secondary indexes, by table: the stores query them and the table construct declares them, so
 * both sides agree. Free of the AWS SDK, so the CDK app can import it without loading a client.
 */

/** JobHistory. */
export const JOB_HISTORY_INDEXES = {
  /** jobType + scheduledTime: a job type's runs in time order. */
  byJobType: { name: 'byJobType', partitionKey: 'jobType', sortKey: 'scheduledTime' },
  /** status + scheduledTime: running, failed or timed-out runs without a Scan. */
  byStatus: { name: 'byStatus', partitionKey: 'status', sortKey: 'scheduledTime' },
  /** entity ("run") + scheduledTime: every run in time order. */
  byTime: { name: 'byTime', partitionKey: 'entity', sortKey: 'scheduledTime' },
} as const;

/** SyncEvents. */
export const SYNC_EVENTS_INDEXES = {
  /** eventType + eventKey: events of one type in time order. */
  byType: { name: 'byType', partitionKey: 'eventType', sortKey: 'eventKey' },
  /** entity ("event") + eventKey: every event in time order, for listing and for expiry. */
  byTime: { name: 'byTime', partitionKey: 'entity', sortKey: 'eventKey' },
} as const;

/** Projects. */
export const PROJECTS_INDEXES = {
  /** activeFlag ("active", set only while active) + projectId: the projects to sync, without a Scan. */
  active: { name: 'active', partitionKey: 'activeFlag', sortKey: 'projectId' },
  /**
   * failingFlag ("failing", set only while the project has a failure streak) + projectId: a sparse index, so
   * the hourly watchdog reads the few failing projects, not every project.
   */
  failing: { name: 'failing', partitionKey: 'failingFlag', sortKey: 'projectId' },
} as const;

/** WorkItems. */
export const WORK_ITEMS_INDEXES = {
  /** openBugProject (set only while a bug is open) + createdAt: a sparse index of open bugs. */
  openBugs: { name: 'openBugs', partitionKey: 'openBugProject', sortKey: 'createdAt' },
  /** closedBugProject (set only on closed bugs) + closedAt: recent closures without a Scan. */
  bugClosures: { name: 'bugClosures', partitionKey: 'closedBugProject', sortKey: 'closedAt' },
} as const;

/** Alerts. */
export const ALERTS_INDEXES = {
  /**
   * trackedFlag (`tracked#<source>`, set while an alert is open or recently resolved) + alertKey: each
   * step reads only its own alerts to compare against, without a Scan.
   */
  trackedAlerts: { name: 'trackedAlerts', partitionKey: 'trackedFlag', sortKey: 'alertKey' },
} as const;
