import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GitHubAppSettings, WebhookHook } from '../../shared/config.ts';
import type { AlertRules } from '../../shared/domain/alerts.ts';
import type { BugRules } from '../../shared/domain/bugs.ts';
import { JOB_NAMES, type JobType } from '../../shared/domain/job-run.ts';
import type { MonitoringThresholds } from '../../shared/domain/monitoring.ts';
import type { JobSchedule } from '../../shared/domain/schedule-slots.ts';
import { githubWebHostOf } from '../../shared/domain/untrusted-text.ts';
import { ENV } from '../../shared/environment.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { REDELIVERY_ENV } from '../../shared/webhooks/redeliver-failed.ts';
import { acknowledgeNag } from '../acknowledge.ts';
import { ANY_ERROR } from './invoke-task.ts';
import { HOUR, longRunAlarm, pagingAlarm } from './job-alarms.ts';
import { JobFunction } from './job-function.ts';
import { type JobProps, ScheduledJob } from './scheduled-job.ts';

export interface HourlyMetricsProps extends JobProps {
  readonly bugRules: BugRules;
  readonly alertRules: AlertRules;
  readonly githubApiUrl: string;
  readonly logRetentionDays: number;
  readonly historyRetentionDays: number;
  /** Each job's cron and time zone: the watchdog knows which slots should have run. */
  readonly schedules: Readonly<Record<JobType, JobSchedule>>;
  readonly monitoring: MonitoringThresholds;
  /** Alert emails through SES, when there are recipients. */
  readonly email?: { readonly sender: string; readonly recipients: readonly string[] };
  /** Secrets Manager secret holding a Slack incoming-webhook URL. */
  readonly slackWebhookSecretName?: string;
  /** The webhooks whose failed deliveries each run has GitHub redeliver; no such step when absent or without hooks. */
  readonly webhookRedelivery?: WebhookRedeliveryProps;
}

export interface WebhookRedeliveryProps {
  /** The `webhooks.hooks` config. */
  readonly hooks: readonly WebhookHook[];
  /** The WebhookDeliveries table, which keeps a marker per redelivery asked for. */
  readonly deliveries: dynamodb.ITable;
  /** Secrets Manager secret holding the GitHub token (a repository's or an organization's hook). */
  readonly tokenSecretName: string;
  /** The GitHub App, whose JWT lists and redelivers its own hook's deliveries. */
  readonly app?: GitHubAppSettings;
}

/**
 * The hourly job, the jobs' watchdog: "Sweep Stuck Runs" (the engine's runs still open past their budget),
 * "Watch Job Runs" (the jobs' own failure streaks, long, stuck and missed runs), with webhooks "Redeliver Failed
 * Webhooks" (whose failure never keeps the figures from being computed), "Compute Hourly Metrics" (figures,
 * snapshots, EMF metrics and the bug alerts), then "Send Alerts" (the run's notifications on every channel, at
 * most once each).
 */
export class HourlyMetrics extends Construct {
  readonly job: ScheduledJob;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: HourlyMetricsProps) {
    super(scope, id);
    const { tables } = props;
    const onCallTopic = props.alarms.onCallTopic;
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
        [ENV.jobTimeoutSeconds]: String(props.schedule.timeout.toSeconds()),
      },
    })
      .bindTable(tables.jobHistory, ['Query'], ENV.jobHistoryTable)
      .bindTable(tables.projects, ['Query'], ENV.projectsTable)
      .bindTable(tables.alerts, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ENV.alertsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
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
      .bindTable(tables.projects, ['Query'], ENV.projectsTable)
      .bindTable(tables.workItems, ['Query', 'BatchGetItem', 'PutItem'], ENV.workItemsTable)
      .bindTable(tables.snapshots, ['BatchWriteItem'], ENV.snapshotsTable)
      .bindTable(tables.alerts, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ENV.alertsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);

    const send = new JobFunction(this, 'SendAlerts', {
      entry: 'lambdas/hourly/send-alerts.ts',
      description: "Delivers the run's alert notification to on-call, email and Slack",
      timeout: Duration.minutes(2),
      environment: {
        ...eventSettings,
        [ENV.alertTopicArn]: onCallTopic.topicArn,
        [ENV.githubWebHost]: githubWebHostOf(props.githubApiUrl),
        ...(props.email
          ? { [ENV.alertEmailSender]: props.email.sender, [ENV.alertEmailRecipients]: props.email.recipients.join(',') }
          : {}),
        ...(props.slackWebhookSecretName ? { [ENV.slackWebhookSecret]: props.slackWebhookSecretName } : {}),
      },
    })
      .bindTable(tables.alerts, ['GetItem', 'UpdateItem'], ENV.alertsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    onCallTopic.grantPublish(send);
    acknowledgeNag(
      send.role!,
      'IAM5[Action::kms:GenerateDataKey*]',
      "Publishing to the encrypted topic needs data keys of the topic's own key, and only that key",
    );
    if (props.email) send.allowEmailFrom(props.email.sender);
    if (props.slackWebhookSecretName) {
      secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhook', props.slackWebhookSecretName).grantRead(send);
    }

    const redeliver = props.webhookRedelivery?.hooks.length
      ? this.redeliveryFunction(props.webhookRedelivery, props.githubApiUrl, tables.projects)
      : undefined;

    this.job = new ScheduledJob(this, 'Job', {
      ...props.schedule,
      jobType: JOB_NAMES.hourly,
      engine: props.engine,
      work: (run) => {
        const computeStep = run
          .step('Compute Hourly Metrics', compute, { resultKey: 'metrics', timeout: Duration.minutes(6) })
          .addCatch(run.recordFailure, ANY_ERROR);
        // Redelivery is a repair for later runs: its failure is kept aside and the figures are computed all the same.
        const beforeFigures = redeliver
          ? run
              .step('Redeliver Failed Webhooks', redeliver, { resultKey: 'redelivery', timeout: Duration.minutes(3) })
              .addCatch(computeStep, { errors: [sfn.Errors.ALL], resultPath: '$.redeliveryError' })
              .next(computeStep)
          : computeStep;
        return run
          .step('Sweep Stuck Runs', props.engine.sweepStuckRuns, { resultKey: 'sweep' })
          .addCatch(run.recordFailure, ANY_ERROR)
          .next(
            run.step('Watch Job Runs', watch, { resultKey: 'watch', timeout: Duration.minutes(2) }).addCatch(run.recordFailure, ANY_ERROR),
          )
          .next(beforeFigures)
          .next(
            run.step('Send Alerts', send, { resultKey: 'alerts', timeout: Duration.minutes(3) }).addCatch(run.recordFailure, ANY_ERROR),
          );
      },
    });

    // The watchdog watches the other jobs; nothing watches it but this alarm. Missing data is the symptom: a
    // disabled schedule or a missed slot emits nothing (and so does a new stack: ALARM from the first deploy
    // until the first hourly run succeeds).
    const { jobType, stateMachine } = this.job;
    const notSucceeding = pagingAlarm(
      this,
      `${jobType}NotSucceeding`,
      onCallTopic,
      stateMachine.metricSucceeded({ period: HOUR, statistic: 'Sum' }),
      {
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription:
          `${jobType}: no execution succeeded in the last 2 hours (failed, timed out or not started); ` +
          'the watchdog is blind meanwhile.',
      },
    );
    this.alarms = [notSucceeding, longRunAlarm(this, this.job, props.alarms)];
  }

  /**
   * The function that lists the hooks' deliveries and asks GitHub to redeliver the failed ones (a marker each); a hook
   * with none outstanding confirms the active projects it covers (Query, UpdateItem on Projects).
   */
  private redeliveryFunction(props: WebhookRedeliveryProps, githubApiUrl: string, projects: dynamodb.ITable): JobFunction {
    const { app } = props;
    const redeliver = new JobFunction(this, 'RedeliverFailedWebhooks', {
      entry: 'lambdas/hourly/redeliver-deliveries.ts',
      description: "Has GitHub redeliver the configured hooks' failed deliveries once each; a hook with none confirms its projects",
      // MAX_REDELIVERIES_PER_RUN POSTs at Octokit's one a second, and the listings.
      timeout: Duration.minutes(2),
      environment: {
        [REDELIVERY_ENV.hooks]: JSON.stringify(props.hooks),
        [ENV.githubApiUrl]: githubApiUrl,
        [ENV.githubTokenSecret]: props.tokenSecretName,
        ...(app && { [ENV.githubAppId]: String(app.appId), [ENV.githubAppPrivateKeySecret]: app.privateKeySecretName }),
      },
    })
      .bindTable(props.deliveries, ['PutItem', 'DeleteItem'], WEBHOOK_ENV.deliveriesTable)
      .bindTable(projects, ['Query', 'UpdateItem'], ENV.projectsTable);
    secretsmanager.Secret.fromSecretNameV2(this, 'GitHubToken', props.tokenSecretName).grantRead(redeliver);
    if (app) secretsmanager.Secret.fromSecretNameV2(this, 'GitHubAppKey', app.privateKeySecretName).grantRead(redeliver);
    return redeliver;
  }
}
