import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { alertRulesOf, alertSenderOf, bugRulesOf, type Config, reportSettingsOf, schedulesOf } from '../shared/config.ts';
import { JOB_NAMES, type JobName } from '../shared/domain/job-run.ts';
import { gracesOf } from '../shared/domain/monitoring.ts';
import { DailySync } from './constructs/daily-sync.ts';
import { HourlyMetrics } from './constructs/hourly-metrics.ts';
import { JobEngine } from './constructs/job-engine.ts';
import { JobFunction } from './constructs/job-function.ts';
import { JobMonitoring } from './constructs/job-monitoring.ts';
import { JobTables } from './constructs/job-tables.ts';
import { OnCall } from './constructs/on-call.ts';
import type { JobProps, ScheduledJob } from './constructs/scheduled-job.ts';
import { WebhookIngest } from './constructs/webhook-ingest.ts';
import { WeeklyReport } from './constructs/weekly-report.ts';
import { STACK_OUTPUTS } from './stack-outputs.ts';

export interface CtoJobsStackProps extends StackProps {
  /** Validated configuration (see shared/config.ts). */
  readonly config: Config;
}

/** Wires the tables, the job engine, the on-call topic, the three scheduled jobs and the monitoring. */
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
    const onCall = new OnCall(this, 'OnCall', { email: config.alarmEmail });
    const jobProps = (name: JobName): JobProps => ({
      engine,
      tables,
      schedule: {
        cron: config.schedules[name],
        timeZone: config.timeZone,
        timeout: jobTimeout,
        retryAttempts: config.scheduler.retryAttempts,
        maxEventAge: Duration.minutes(config.scheduler.maxEventAgeMinutes),
      },
      alarms: { onCallTopic: onCall.topic, longRun: Duration.minutes(gracesOf(config.monitoring, JOB_NAMES[name]).longRunMinutes) },
    });

    const dailySync = new DailySync(this, 'DailySync', {
      ...jobProps('daily'),
      githubApiUrl: config.github.apiUrl,
      tokenSecretName: config.github.tokenSecretName,
      app: config.github.app,
      bugRules: bugRulesOf(config),
      alertRules: alertRulesOf(config),
      rateLimitReserve: config.github.rateLimitReserve,
      pacing: config.github.pacing,
      logRetentionDays: config.retention.logDays,
      discovery: config.github.org ? { org: config.github.org, activeWithinDays: config.github.activeWithinDays } : undefined,
    });
    const webhooks =
      config.webhooks &&
      new WebhookIngest(this, 'Webhooks', {
        tables,
        bugRules: bugRulesOf(config),
        alertRules: alertRulesOf(config),
        logRetentionDays: config.retention.logDays,
        ...config.webhooks,
      });
    if (webhooks) new CfnOutput(this, 'WebhookUrl', { value: webhooks.url, description: "The GitHub webhook's payload URL" });
    const alertSender = alertSenderOf(config);
    const hourlyMetrics = new HourlyMetrics(this, 'HourlyMetrics', {
      ...jobProps('hourly'),
      bugRules: bugRulesOf(config),
      alertRules: alertRulesOf(config),
      githubApiUrl: config.github.apiUrl,
      logRetentionDays: config.retention.logDays,
      historyRetentionDays: config.retention.jobHistoryDays,
      schedules: schedulesOf(config),
      monitoring: config.monitoring,
      email:
        config.alerts.emailRecipients.length > 0 && alertSender
          ? { sender: alertSender, recipients: config.alerts.emailRecipients }
          : undefined,
      slackWebhookSecretName: config.alerts.slackWebhookSecretName,
      webhookRedelivery: config.webhooks?.hooks &&
        webhooks && {
          hooks: config.webhooks.hooks,
          deliveries: webhooks.deliveries,
          tokenSecretName: config.github.tokenSecretName,
          app: config.github.app,
        },
    });
    const weeklyReport = new WeeklyReport(this, 'WeeklyReport', {
      ...jobProps('weekly'),
      healthThresholds: config.healthThresholds,
      githubApiUrl: config.github.apiUrl,
      email: config.report,
      reportSettings: reportSettingsOf(config),
      timeZone: config.timeZone,
      schedules: schedulesOf(config),
      monitoring: config.monitoring,
      retention: config.retention,
    });
    this.jobs = { daily: dailySync.job, hourly: hourlyMetrics.job, weekly: weeklyReport.job };

    const monitoredJobs = [dailySync, hourlyMetrics, weeklyReport];
    const reconcilerDeadLetterQueue = engine.reconcile(monitoredJobs.map(({ job }) => job.stateMachine));
    new JobMonitoring(this, 'Monitoring', {
      jobs: monitoredJobs,
      functions: this.node.findAll().filter((child): child is JobFunction => child instanceof JobFunction),
      otherDeadLetterQueues: [
        { name: 'Reconciler', queue: reconcilerDeadLetterQueue },
        ...(webhooks ? [{ name: 'WebhookDeliveries', queue: webhooks.deadLetterQueue }] : []),
      ],
      onCallTopic: onCall.topic,
      dashboard: config.dashboard,
    });

    for (const [name, job] of Object.entries(this.jobs) as [JobName, ScheduledJob][]) {
      new CfnOutput(this, STACK_OUTPUTS.stateMachine(name), { value: job.stateMachine.stateMachineArn });
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
