import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { HealthThresholds } from '../../shared/domain/project-health.ts';
import { githubWebHostOf } from '../../shared/domain/untrusted-text.ts';
import { ENV } from '../../shared/environment.ts';
import { JobFunction } from './job-function.ts';
import type { ParallelWork } from './scheduled-job.ts';

export interface WeeklyReportProps {
  readonly jobHistory: dynamodb.ITable;
  readonly syncEvents: dynamodb.ITable;
  readonly projects: dynamodb.ITable;
  readonly workItems: dynamodb.ITable;
  readonly snapshots: dynamodb.ITable;
  readonly healthThresholds: HealthThresholds;
  readonly githubApiUrl: string;
  /** The report's email; without recipients it is rendered but not sent. */
  readonly email: { readonly recipients: readonly string[]; readonly sender?: string };
  readonly retention: {
    readonly logDays: number;
    readonly jobHistoryDays: number;
    readonly importLogDays: number;
    readonly keepSyncEvents: number;
    readonly keepJobRecords: number;
  };
}

/**
 * The weekly job's work, in parallel where the data allows: archiving beside the health check, which the
 * CTO report (built, rendered and sent once per week through SES) follows because it shows the statuses.
 */
export class WeeklyReport extends Construct {
  readonly work: ParallelWork;

  constructor(scope: Construct, id: string, props: WeeklyReportProps) {
    super(scope, id);
    const retention = {
      [ENV.logRetentionDays]: String(props.retention.logDays),
      [ENV.historyRetentionDays]: String(props.retention.jobHistoryDays),
    };
    const checkHealth = new JobFunction(this, 'CheckProjectHealth', {
      entry: 'lambdas/weekly/check-project-health.ts',
      description: 'Classifies every project healthy, warning or critical and records the changes',
      timeout: Duration.minutes(2),
      environment: { [ENV.logRetentionDays]: retention[ENV.logRetentionDays]!, [ENV.healthThresholds]: JSON.stringify(props.healthThresholds) },
    })
      .bindTable(props.projects, ['Query'], ENV.projectsTable)
      .bindTable(props.snapshots, ['Query', 'PutItem'], ENV.snapshotsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);

    const archive = new JobFunction(this, 'ArchiveRecords', {
      entry: 'lambdas/weekly/archive-records.ts',
      description: 'Keeps the newest sync events and job records, removes older ones and old import logs',
      timeout: Duration.minutes(5),
      environment: {
        ...retention,
        [ENV.keepSyncEvents]: String(props.retention.keepSyncEvents),
        [ENV.keepJobRecords]: String(props.retention.keepJobRecords),
        [ENV.importLogDays]: String(props.retention.importLogDays),
      },
    })
      .bindTable(props.jobHistory, ['Query', 'BatchWriteItem'], ENV.jobHistoryTable)
      .bindTable(props.syncEvents, ['Query', 'BatchWriteItem', 'PutItem'], ENV.syncEventsTable);

    const { sender, recipients } = props.email;
    const sendReport = new JobFunction(this, 'SendWeeklyReport', {
      entry: 'lambdas/weekly/send-weekly-report.ts',
      description: 'Builds the CTO report and emails it once per week through SES',
      timeout: Duration.minutes(3),
      memorySize: 1024,
      environment: {
        ...retention,
        [ENV.githubWebHost]: githubWebHostOf(props.githubApiUrl),
        ...(recipients.length > 0 ? { [ENV.reportRecipients]: recipients.join(',') } : {}),
        ...(sender ? { [ENV.reportSender]: sender } : {}),
      },
    })
      .bindTable(props.jobHistory, ['Query'], ENV.jobHistoryTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable)
      .bindTable(props.projects, ['Query'], ENV.projectsTable)
      .bindTable(props.workItems, ['Query'], ENV.workItemsTable)
      .bindTable(props.snapshots, ['Query', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], ENV.snapshotsTable);
    if (sender) sendReport.allowEmailFrom(sender);

    this.work = {
      stateName: 'Weekly Work',
      branches: [
        // A failed archive (a large first backlog, say) is recorded but never holds back the report.
        [{ stateName: 'Archive Records', resultKey: 'archive', handler: archive, timeout: Duration.minutes(6), optional: true }],
        [
          { stateName: 'Check Project Health', resultKey: 'health', handler: checkHealth, timeout: Duration.minutes(3) },
          { stateName: 'Send Weekly Report', resultKey: 'report', handler: sendReport, timeout: Duration.minutes(4) },
        ],
      ],
    };
  }
}
