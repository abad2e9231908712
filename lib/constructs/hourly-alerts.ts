import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AlertRules } from '../../shared/domain/alerts.ts';
import type { BugRules } from '../../shared/domain/bugs.ts';
import type { JobType } from '../../shared/domain/job-run.ts';
import type { JobSchedule, MonitoringThresholds } from '../../shared/domain/monitoring.ts';
import { githubWebHostOf } from '../../shared/domain/untrusted-text.ts';
import { ENV } from '../../shared/environment.ts';
import { acknowledgeNag } from '../acknowledge.ts';
import { JobFunction } from './job-function.ts';
import type { WorkStep } from './scheduled-job.ts';

export interface HourlyAlertsProps {
  readonly jobHistory: dynamodb.ITable;
  readonly projects: dynamodb.ITable;
  readonly workItems: dynamodb.ITable;
  readonly snapshots: dynamodb.ITable;
  readonly alerts: dynamodb.ITable;
  readonly syncEvents: dynamodb.ITable;
  readonly onCallTopic: sns.ITopic;
  readonly bugRules: BugRules;
  readonly alertRules: AlertRules;
  readonly githubApiUrl: string;
  readonly logRetentionDays: number;
  readonly historyRetentionDays: number;
  /** Each job's cron and time zone: the watchdog knows which slots should have run. */
  readonly schedules: Readonly<Record<JobType, JobSchedule>>;
  readonly monitoring: MonitoringThresholds;
  readonly jobTimeout: Duration;
  /** Alert emails through SES, when there are recipients. */
  readonly email?: { readonly sender: string; readonly recipients: readonly string[] };
  /** Secrets Manager secret holding a Slack incoming-webhook URL. */
  readonly slackWebhookSecretName?: string;
}

/**
 * The hourly job's watch and alerts: "Watch Job Runs" (the jobs' own failure streaks, long, stuck and
 * missed runs), "Compute Hourly Metrics" (figures, snapshots, EMF metrics and the bug alerts), then
 * "Send Alerts" (the run's notifications on every channel, at most once each).
 */
export class HourlyAlerts extends Construct {
  readonly steps: readonly WorkStep[];

  constructor(scope: Construct, id: string, props: HourlyAlertsProps) {
    super(scope, id);
    const eventSettings = { [ENV.logRetentionDays]: String(props.logRetentionDays) };
    const alertRules = { [ENV.alertRules]: JSON.stringify(props.alertRules) };
    const watch = new JobFunction(this, 'WatchJobRuns', {
      entry: 'lambdas/hourly/watch-job-runs.ts',
      description: 'Alerts on failure streaks, long, stuck and missed runs of the jobs themselves',
      timeout: Duration.minutes(1),
      environment: {
        ...eventSettings,
        ...alertRules,
        [ENV.historyRetentionDays]: String(props.historyRetentionDays),
        [ENV.schedules]: JSON.stringify(props.schedules),
        [ENV.monitoringThresholds]: JSON.stringify(props.monitoring),
        [ENV.jobTimeoutSeconds]: String(props.jobTimeout.toSeconds()),
      },
    })
      .bindTable(props.jobHistory, ['Query'], ENV.jobHistoryTable)
      .bindTable(props.projects, ['Query'], ENV.projectsTable)
      .bindTable(props.alerts, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ENV.alertsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const compute = new JobFunction(this, 'ComputeHourlyMetrics', {
      entry: 'lambdas/hourly/compute-hourly-metrics.ts',
      description: 'Computes revenue at risk, velocity, SLA breaches and which alerts to notify',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {
        ...eventSettings,
        [ENV.bugRules]: JSON.stringify(props.bugRules),
        ...alertRules,
      },
    })
      .bindTable(props.projects, ['Query'], ENV.projectsTable)
      .bindTable(props.workItems, ['Query'], ENV.workItemsTable)
      .bindTable(props.snapshots, ['BatchWriteItem'], ENV.snapshotsTable)
      .bindTable(props.alerts, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ENV.alertsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);

    const send = new JobFunction(this, 'SendAlerts', {
      entry: 'lambdas/hourly/send-alerts.ts',
      description: "Delivers the run's alert notification to on-call, email and Slack",
      timeout: Duration.minutes(2),
      environment: {
        ...eventSettings,
        [ENV.alertTopicArn]: props.onCallTopic.topicArn,
        [ENV.githubWebHost]: githubWebHostOf(props.githubApiUrl),
        ...(props.email
          ? { [ENV.alertEmailSender]: props.email.sender, [ENV.alertEmailRecipients]: props.email.recipients.join(',') }
          : {}),
        ...(props.slackWebhookSecretName ? { [ENV.slackWebhookSecret]: props.slackWebhookSecretName } : {}),
      },
    })
      .bindTable(props.alerts, ['GetItem', 'UpdateItem'], ENV.alertsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);
    props.onCallTopic.grantPublish(send);
    acknowledgeNag(send.role!, 'IAM5[Action::kms:GenerateDataKey*]', "Publishing to the encrypted topic needs data keys of the topic's own key, and only that key");
    if (props.email) send.allowEmailFrom(props.email.sender);
    if (props.slackWebhookSecretName) {
      secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhook', props.slackWebhookSecretName).grantRead(send);
    }

    this.steps = [
      { stateName: 'Watch Job Runs', resultKey: 'watch', handler: watch, timeout: Duration.minutes(2) },
      { stateName: 'Compute Hourly Metrics', resultKey: 'metrics', handler: compute, timeout: Duration.minutes(6) },
      { stateName: 'Send Alerts', resultKey: 'alerts', handler: send, timeout: Duration.minutes(3) },
    ];
  }
}
