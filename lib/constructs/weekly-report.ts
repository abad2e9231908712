import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { JOB_NAMES, type JobType } from '../../shared/domain/job-run.ts';
import type { MonitoringThresholds } from '../../shared/domain/monitoring.ts';
import type { HealthThresholds } from '../../shared/domain/project-health.ts';
import type { ReportSettings } from '../../shared/domain/report-email.ts';
import type { JobSchedule } from '../../shared/domain/schedule-slots.ts';
import { githubWebHostOf } from '../../shared/domain/untrusted-text.ts';
import { ENV } from '../../shared/environment.ts';
import { ANY_ERROR } from './invoke-task.ts';
import { watchedJobAlarms } from './job-alarms.ts';
import { JobFunction } from './job-function.ts';
import { type JobProps, ScheduledJob } from './scheduled-job.ts';

export interface WeeklyReportProps extends JobProps {
  readonly healthThresholds: HealthThresholds;
  readonly githubApiUrl: string;
  /** The report's email; without recipients it is rendered but not sent. */
  readonly email: { readonly recipients: readonly string[]; readonly sender?: string };
  /** What the email says about the deployment: the organisation's name, the dashboard, who to ask about recipients. */
  readonly reportSettings: ReportSettings;
  /** The schedules' time zone: the report covers the last whole ISO week in it. */
  readonly timeZone: string;
  /** Each job's cron and time zone, and what the watchdog judges: the report shows its success rates, archiving keeps their runs. */
  readonly schedules: Readonly<Record<JobType, JobSchedule>>;
  readonly monitoring: MonitoringThresholds;
  readonly retention: {
    readonly logDays: number;
    readonly jobHistoryDays: number;
    readonly importLogDays: number;
    readonly keepSyncEvents: number;
    readonly keepJobRecords: number;
  };
}

/**
 * The weekly job, in parallel where the data allows: archiving beside the health check, which the CTO
 * report (built, rendered and sent once per week through SES) follows because it shows the statuses.
 */
export class WeeklyReport extends Construct {
  readonly job: ScheduledJob;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WeeklyReportProps) {
    super(scope, id);
    const { tables } = props;
    const retention = {
      [ENV.logRetentionDays]: String(props.retention.logDays),
      [ENV.historyRetentionDays]: String(props.retention.jobHistoryDays),
    };
    const monitoring = { [ENV.monitoringThresholds]: JSON.stringify(props.monitoring) };
    const checkHealth = new JobFunction(this, 'CheckProjectHealth', {
      entry: 'lambdas/weekly/check-project-health.ts',
      description: 'Classifies every project healthy, warning or critical and records the changes',
      timeout: Duration.minutes(2),
      environment: {
        [ENV.logRetentionDays]: String(props.retention.logDays),
        [ENV.healthThresholds]: JSON.stringify(props.healthThresholds),
      },
    })
      .bindTable(tables.projects, ['Query'], ENV.projectsTable)
      // GetItem: the status a project already has for the run's date (a rerun of the same date).
      .bindTable(tables.snapshots, ['Query', 'GetItem', 'PutItem'], ENV.snapshotsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);

    const archive = new JobFunction(this, 'ArchiveRecords', {
      entry: 'lambdas/weekly/archive-records.ts',
      description: 'Keeps the newest sync events and job records, removes older ones and old import logs',
      timeout: Duration.minutes(5),
      environment: {
        ...retention,
        ...monitoring,
        [ENV.keepSyncEvents]: String(props.retention.keepSyncEvents),
        [ENV.keepJobRecords]: String(props.retention.keepJobRecords),
        [ENV.importLogDays]: String(props.retention.importLogDays),
      },
    })
      .bindTable(tables.jobHistory, ['Query', 'BatchWriteItem'], ENV.jobHistoryTable)
      .bindTable(tables.syncEvents, ['Query', 'BatchWriteItem', 'PutItem'], ENV.syncEventsTable);

    const { sender, recipients } = props.email;
    const sendReport = new JobFunction(this, 'SendWeeklyReport', {
      entry: 'lambdas/weekly/send-weekly-report.ts',
      description: 'Builds the CTO report and emails it once per week through SES',
      timeout: Duration.minutes(3),
      memorySize: 1024,
      environment: {
        ...retention,
        // The watchdog's cron monitor, whose success rates the report shows.
        ...monitoring,
        [ENV.schedules]: JSON.stringify(props.schedules),
        [ENV.jobTimeoutSeconds]: String(props.schedule.timeout.toSeconds()),
        [ENV.githubWebHost]: githubWebHostOf(props.githubApiUrl),
        [ENV.reportSettings]: JSON.stringify(props.reportSettings),
        [ENV.timeZone]: props.timeZone,
        ...(recipients.length > 0 ? { [ENV.reportRecipients]: recipients.join(',') } : {}),
        ...(sender ? { [ENV.reportSender]: sender } : {}),
      },
    })
      .bindTable(tables.jobHistory, ['Query'], ENV.jobHistoryTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable)
      .bindTable(tables.projects, ['Query'], ENV.projectsTable)
      .bindTable(tables.workItems, ['Query'], ENV.workItemsTable)
      .bindTable(tables.snapshots, ['Query', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], ENV.snapshotsTable);
    if (sender) sendReport.allowEmailFrom(sender);

    this.job = new ScheduledJob(this, 'Job', {
      ...props.schedule,
      jobType: JOB_NAMES.weekly,
      engine: props.engine,
      work: (run) => {
        // A failed archive (a large first backlog, say) is recorded as its result and never holds back the
        // report: the caught error itself is the result, which Record Success summarizes.
        const archiveRecords = run.step('Archive Records', archive, { resultKey: 'archive', timeout: Duration.minutes(6) });
        const archiveFailed = new sfn.Pass(this, 'Archive Records Failed', {
          comment: "Records the failure as this step's result; the job goes on",
          parameters: { recordsProcessed: 0, recordsFailed: 1, error: sfn.JsonPath.objectAt('$.stepError'), attempt: 1 },
          resultPath: '$.run.results.archive',
        });
        archiveRecords.addCatch(archiveFailed, { errors: [sfn.Errors.ALL], resultPath: '$.stepError' });

        const report = run.step('Check Project Health', checkHealth, { resultKey: 'health', timeout: Duration.minutes(3) }).next(
          run.step('Send Weekly Report', sendReport, {
            resultKey: 'report',
            timeout: Duration.minutes(4),
            // The email links to this run in the Step Functions console.
            payload: { executionArn: sfn.JsonPath.stringAt('$$.Execution.Id') },
          }),
        );

        // Each branch returns the whole state: gather the results each one added.
        return new sfn.Parallel(this, 'Weekly Work', {
          resultSelector: {
            archive: sfn.JsonPath.objectAt('$[0].run.results.archive'),
            health: sfn.JsonPath.objectAt('$[1].run.results.health'),
            report: sfn.JsonPath.objectAt('$[1].run.results.report'),
          },
          resultPath: '$.run.results',
        })
          .branch(sfn.Chain.custom(archiveRecords, [archiveRecords, archiveFailed], archiveRecords))
          .branch(report)
          .addCatch(run.recordFailure, ANY_ERROR);
      },
    });
    this.alarms = watchedJobAlarms(this, this.job, props.alarms);
  }
}
