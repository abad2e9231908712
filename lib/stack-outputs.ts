/**
 * The stack's output keys, which the `cto-jobs` CLI looks up to find the deployed resources. Kept apart
 * from the stack so the CLI loads no CDK.
 */
import type { JobName } from '../shared/domain/job-run.ts';

export const STACK_OUTPUTS = {
  stateMachine: (job: JobName) => `${job.charAt(0).toUpperCase()}${job.slice(1)}StateMachineArn`,
  jobHistoryTable: 'JobHistoryTableName',
  syncEventsTable: 'SyncEventsTableName',
  projectsTable: 'ProjectsTableName',
  workItemsTable: 'WorkItemsTableName',
  snapshotsTable: 'SnapshotsTableName',
  alertsTable: 'AlertsTableName',
  onCallTopic: 'OnCallTopicArn',
} as const;
