import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { alertRulesOf, alertSenderOf, bugRulesOf, schedulesOf, type Config } from '../shared/config.ts';
import { JOB_NAMES, type JobName } from '../shared/domain/job-run.ts';
import { ENV } from '../shared/environment.ts';
import { JobEngine } from './constructs/job-engine.ts';
import { HourlyAlerts } from './constructs/hourly-alerts.ts';
import { JobFunction } from './constructs/job-function.ts';
import { JobMonitoring } from './constructs/job-monitoring.ts';
import { JobTables } from './constructs/job-tables.ts';
import { OnCall } from './constructs/on-call.ts';
import { ProjectSync } from './constructs/project-sync.ts';
import { ScheduledJob, type ParallelWork, type WorkStep } from './constructs/scheduled-job.ts';
import { WeeklyReport } from './constructs/weekly-report.ts';
import { STACK_OUTPUTS } from './stack-outputs.ts';

export interface CtoJobsStackProps extends StackProps {
  /** Validated configuration (see shared/config.ts). */
  readonly config: Config;
}

/** Wires the tables, the job engine, the on-call topic and the three scheduled jobs. */
export class CtoJobsStack extends Stack {
  readonly jobs: Readonly<Record<JobName, ScheduledJob>>;

  constructor(scope: Construct, id: string, props: CtoJobsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tables = new JobTables(this, 'Tables');
    const jobTimeout = Duration.minutes(config.jobTimeoutMinutes);
    const engine = new JobEngine(this, 'Engine', {
      tables,
      jobTimeout,
      logRetentionDays: config.retention.logDays,
      historyRetentionDays: config.retention.jobHistoryDays,
    });

    const cleanUpLogs = new JobFunction(this, 'CleanUpLogs', {
      entry: 'lambdas/daily/clean-up-logs.ts',
      description: 'Deletes SyncEvents older than the log retention period',
      timeout: Duration.minutes(5),
      environment: { [ENV.logRetentionDays]: String(config.retention.logDays) },
    }).bindTable(tables.syncEvents, ['Query', 'BatchWriteItem', 'PutItem'], ENV.syncEventsTable);

    const projectSync = new ProjectSync(this, 'ProjectSync', {
      projects: tables.projects,
      workItems: tables.workItems,
      snapshots: tables.snapshots,
      syncEvents: tables.syncEvents,
      githubApiUrl: config.github.apiUrl,
      tokenSecretName: config.github.tokenSecretName,
      bugRules: bugRulesOf(config),
      jobTimeout,
      logRetentionDays: config.retention.logDays,
      discovery: config.github.org ? { org: config.github.org, activeWithinDays: config.github.activeWithinDays } : undefined,
    });

    const onCall = new OnCall(this, 'OnCall', { email: config.alarmEmail });
    const alertSender = alertSenderOf(config);
    const hourlyAlerts = new HourlyAlerts(this, 'HourlyAlerts', {
      jobHistory: tables.jobHistory,
      projects: tables.projects,
      workItems: tables.workItems,
      snapshots: tables.snapshots,
      alerts: tables.alerts,
      syncEvents: tables.syncEvents,
      onCallTopic: onCall.topic,
      bugRules: bugRulesOf(config),
      alertRules: alertRulesOf(config),
      githubApiUrl: config.github.apiUrl,
      logRetentionDays: config.retention.logDays,
      historyRetentionDays: config.retention.jobHistoryDays,
      schedules: schedulesOf(config),
      monitoring: config.monitoring,
      jobTimeout,
      email: config.alerts.emailRecipients.length > 0 && alertSender ? { sender: alertSender, recipients: config.alerts.emailRecipients } : undefined,
      slackWebhookSecretName: config.alerts.slackWebhookSecretName,
    });

    const weeklyReport = new WeeklyReport(this, 'WeeklyReport', {
      jobHistory: tables.jobHistory,
      syncEvents: tables.syncEvents,
      projects: tables.projects,
      workItems: tables.workItems,
      snapshots: tables.snapshots,
      healthThresholds: config.healthThresholds,
      githubApiUrl: config.github.apiUrl,
      email: config.report,
      retention: config.retention,
    });

    const steps: Record<JobName, (WorkStep | ParallelWork)[]> = {
      daily: [
        projectSync.step,
        { stateName: 'Clean Up Old Logs', resultKey: 'cleanup', handler: cleanUpLogs, timeout: Duration.minutes(6) },
      ],
      hourly: [{ stateName: 'Sweep Stuck Runs', resultKey: 'sweep', handler: engine.sweepStuckRuns }, ...hourlyAlerts.steps],
      weekly: [weeklyReport.work],
    };
    const job = (name: JobName) =>
      new ScheduledJob(this, `${capitalize(name)}Job`, {
        jobType: JOB_NAMES[name],
        cron: config.schedules[name],
        timeZone: config.timeZone,
        timeout: jobTimeout,
        engine,
        steps: steps[name],
        retryAttempts: config.scheduler.retryAttempts,
        maxEventAge: Duration.minutes(config.scheduler.maxEventAgeMinutes),
      });
    this.jobs = { daily: job('daily'), hourly: job('hourly'), weekly: job('weekly') };
    const reconcilerDeadLetterQueue = engine.reconcile(Object.values(this.jobs).map((scheduled) => scheduled.stateMachine));
    new JobMonitoring(this, 'Monitoring', {
      jobs: (Object.keys(this.jobs) as JobName[]).map((name) => ({
        jobType: JOB_NAMES[name],
        stateMachine: this.jobs[name].stateMachine,
        deadLetterQueue: this.jobs[name].deadLetterQueue,
        hourly: name === 'hourly',
      })),
      functions: this.node.findAll().filter((child): child is JobFunction => child instanceof JobFunction),
      otherDeadLetterQueues: [{ name: 'Reconciler', queue: reconcilerDeadLetterQueue }],
      onCallTopic: onCall.topic,
      longRun: Duration.minutes(config.monitoring.longRunMinutes),
    });

    for (const name of Object.keys(this.jobs) as JobName[]) {
      new CfnOutput(this, STACK_OUTPUTS.stateMachine(name), { value: this.jobs[name].stateMachine.stateMachineArn });
    }
    new CfnOutput(this, STACK_OUTPUTS.jobHistoryTable, { value: tables.jobHistory.tableName });
    new CfnOutput(this, STACK_OUTPUTS.syncEventsTable, { value: tables.syncEvents.tableName });
    new CfnOutput(this, STACK_OUTPUTS.projectsTable, { value: tables.projects.tableName });
    new CfnOutput(this, STACK_OUTPUTS.workItemsTable, { value: tables.workItems.tableName });
    new CfnOutput(this, STACK_OUTPUTS.snapshotsTable, { value: tables.snapshots.tableName });
    new CfnOutput(this, STACK_OUTPUTS.alertsTable, { value: tables.alerts.tableName });
    new CfnOutput(this, STACK_OUTPUTS.onCallTopic, { value: onCall.topic.topicArn });
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
