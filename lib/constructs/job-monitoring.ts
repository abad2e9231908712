import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { JobType } from '../../shared/domain/job-run.ts';
import { JOB_TYPE_DIMENSION, METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/metrics.ts';

export interface MonitoredJob {
  readonly jobType: JobType;
  readonly stateMachine: sfn.IStateMachine;
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Whether the job runs every hour: it alarms when no execution succeeded for two hours (it is the
   * watchdog, so nothing else would see it stop); the others alarm on failed runs and missed slots.
   */
  readonly hourly: boolean;
}

export interface JobMonitoringProps {
  readonly jobs: readonly MonitoredJob[];
  /** Shown on the dashboard (errors per function); their throttling alarms at account level. */
  readonly functions: readonly lambda.IFunction[];
  readonly otherDeadLetterQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly onCallTopic: sns.ITopic;
  /** A run longer than this alarms. */
  readonly longRun: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);
const HOUR = Duration.hours(1);
/** Five-minute periods in a row with throttles before the Throttles alarm pages (15 minutes). */
const SUSTAINED_THROTTLING_PERIODS = 3;

/**
 * The alarms that page on-call (on ALARM and again on OK), each something on-call must act on, and the
 * operators' dashboard. CloudWatch bills each metric an alarm reads ($0.10 a month, a metric-math alarm
 * pays for every metric in it), so the alarms read few metrics: one custom metric per job for failures,
 * Lambda's account-level Throttles, and one dead-letter alarm over all queues.
 */
export class JobMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: JobMonitoringProps) {
    super(scope, id);
    // Each alarm says what missing data means for it: a metric written only when a run ends must hold its
    // state between runs (IGNORE), or CloudWatch sends OK once the datapoint leaves its evaluation range.
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.CreateAlarmOptions, 'metric'> & { readonly treatMissingData: cloudwatch.TreatMissingData }) => {
      const created = new cloudwatch.Alarm(this, alarmId, { metric, ...options });
      created.addAlarmAction(new cloudwatchActions.SnsAction(props.onCallTopic));
      created.addOkAction(new cloudwatchActions.SnsAction(props.onCallTopic));
      this.alarms.push(created);
      return created;
    };
    const jobMetric = (name: string, jobType: JobType, statistic: string, period = HOUR) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: SERVICE_NAME, [JOB_TYPE_DIMENSION]: jobType }, statistic, period });
    const atLeastOne = { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };

    for (const job of props.jobs) {
      const machine = job.stateMachine as sfn.StateMachine;
      if (job.hourly) {
        // Missing data is the symptom here: a disabled schedule or a missed slot emits nothing (and so does a
        // new stack: ALARM from the first deploy until the first hourly run succeeds).
        alarm(`${job.jobType}NotSucceeding`, machine.metricSucceeded({ period: HOUR, statistic: 'Sum' }), {
          threshold: 1,
          evaluationPeriods: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          alarmDescription: `${job.jobType}: no execution succeeded in the last 2 hours (failed, timed out or not started); the watchdog is blind meanwhile.`,
        });
      } else {
        // The engine publishes the job's failure streak when a run ends (Record Failure; the reconciler for
        // a timed-out or aborted execution; the hourly stuck-run sweep when the reconciler's event was
        // lost): red from the first failed run until one succeeds, and between runs the state holds (no OK
        // while nothing was fixed).
        alarm(`${job.jobType}Failing`, jobMetric(METRIC_NAMES.consecutiveFailures, job.jobType, 'Maximum', FIVE_MINUTES), {
          ...atLeastOne,
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          alarmDescription: `${job.jobType}: the last run failed or timed out (the value is how many in a row); OK when a run succeeds.`,
        });
        // The watchdog publishes the count every hour, zero included: while it does not (NotSucceeding pages
        // for that), the state holds rather than turning OK on a slot still missed.
        alarm(`${job.jobType}MissedRuns`, jobMetric(METRIC_NAMES.missedRuns, job.jobType, 'Maximum'), {
          ...atLeastOne,
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          alarmDescription: `${job.jobType}: a scheduled slot passed without a run (the hourly watchdog checks its cron and time zone).`,
        });
      }
      // ExecutionTime is written once, when an execution ends: the state holds until the next one ends.
      alarm(`${job.jobType}LongRun`, machine.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: props.longRun.toMilliseconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        alarmDescription: `${job.jobType}: the last execution took longer than ${props.longRun.toMinutes()} minutes, close to its time budget; OK when a run ends in time.`,
      });
    }

    const queues = [...props.jobs.map((job) => ({ name: `${job.jobType} schedule`, queue: job.deadLetterQueue })), ...props.otherDeadLetterQueues];
    // A queue without messages or requests for 6 hours stops reporting: FILL keeps the others' sum. A queue
    // holding a message keeps reporting it, so missing data here means empty queues.
    alarm(
      'DeadLetters',
      new cloudwatch.MathExpression({
        expression: `SUM(FILL([${queues.map((_, index) => `q${index}`).join(', ')}], 0))`,
        usingMetrics: Object.fromEntries(queues.map(({ queue }, index) => [`q${index}`, queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' })])),
        label: 'Messages in dead-letter queues',
        period: FIVE_MINUTES,
      }),
      {
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Messages wait in a dead-letter queue (${queues.map(({ name }) => name).join(', ')}): a run was not started or not reconciled.`,
      },
    );
    // Lambda's Throttles without a FunctionName is one metric for the whole account and region: these
    // functions share its unreserved concurrency, so any throttle there can reach them. A burst is no page:
    // the tasks' retrier absorbs a throttled invocation (Lambda.TooManyRequestsException), and one it
    // cannot absorb fails the run (Failing, NotSucceeding). Throttling in every period for 15 minutes, far
    // beyond the retrier's seconds, means the account is out of concurrency. No invocations, no throttles.
    alarm('Throttles', lambda.Function.metricAllThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), {
      threshold: 1,
      evaluationPeriods: SUSTAINED_THROTTLING_PERIODS,
      datapointsToAlarm: SUSTAINED_THROTTLING_PERIODS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Lambda throttled invocations in this account and region in each of the last ${SUSTAINED_THROTTLING_PERIODS} five-minute periods: the account is out of concurrency.`,
    });

    const service = (metricName: string, statistic = 'Maximum') =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period: HOUR });
    const machines = props.jobs.map((job) => ({ jobType: job.jobType, machine: job.stateMachine as sfn.StateMachine }));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-jobs`,
      defaultInterval: Duration.days(7),
      widgets: [
        machines.map(
          ({ jobType, machine }) =>
            new cloudwatch.GraphWidget({
              title: `${jobType}: executions`,
              width: 8,
              stacked: true,
              left: [machine.metricSucceeded({ period: HOUR, statistic: 'Sum' }), machine.metricFailed({ period: HOUR, statistic: 'Sum' }), machine.metricTimedOut({ period: HOUR, statistic: 'Sum' })],
            }),
        ),
        machines.map(
          ({ jobType, machine }) =>
            new cloudwatch.GraphWidget({
              title: `${jobType}: duration p50 / p95`,
              width: 8,
              left: [machine.metricTime({ period: HOUR, statistic: 'p50', label: 'p50' }), machine.metricTime({ period: HOUR, statistic: 'p95', label: 'p95' })],
            }),
        ),
        [
          new cloudwatch.GraphWidget({
            title: 'Records processed',
            width: 8,
            left: props.jobs.map((job) => jobMetric(METRIC_NAMES.recordsProcessed, job.jobType, 'Sum')),
          }),
          new cloudwatch.GraphWidget({
            title: 'GitHub requests and the share answered 304',
            width: 8,
            left: [service(METRIC_NAMES.githubRequests, 'Sum'), service(METRIC_NAMES.githubNotModified, 'Sum')],
            right: [
              new cloudwatch.MathExpression({
                expression: '100 * notModified / requests',
                usingMetrics: { requests: service(METRIC_NAMES.githubRequests, 'Sum'), notModified: service(METRIC_NAMES.githubNotModified, 'Sum') },
                label: '% answered 304',
                period: HOUR,
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Revenue at risk ($/day) and SLA breaches',
            width: 8,
            left: [service(METRIC_NAMES.revenueAtRisk)],
            right: [service(METRIC_NAMES.slaBreaches), service(METRIC_NAMES.unassignedCritical)],
          }),
        ],
        [
          // Errors per function are for diagnosis, not paging: a project the daily sync isolates by design
          // still counts as a Lambda error.
          new cloudwatch.GraphWidget({
            title: 'Lambda errors per function',
            width: 24,
            stacked: true,
            left: props.functions.map((fn) => fn.metricErrors({ period: HOUR, statistic: 'Sum', label: fn.node.path })),
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
      ],
    });
  }
}
