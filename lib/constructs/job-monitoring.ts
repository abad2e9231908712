import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/metrics.ts';
import { AT_LEAST_ONE, FIVE_MINUTES, HOUR, type PagingAlarmOptions, pagingAlarm } from './job-alarms.ts';
import type { ScheduledJob } from './scheduled-job.ts';

/** A job as the monitoring sees it: its state machine and schedule queue, and the alarms it pages with. */
export interface MonitoredJob {
  readonly job: ScheduledJob;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

export interface JobMonitoringProps {
  readonly jobs: readonly MonitoredJob[];
  /** Shown on the dashboard (errors per function); their throttling alarms at account level. */
  readonly functions: readonly lambda.IFunction[];
  /**
   * The dead-letter queues the DeadLetters alarm watches. The jobs' schedule queues are not among them: a message
   * there is a slot not started, which MissedRuns (or, for the hourly job, NotSucceeding) pages on.
   */
  readonly otherDeadLetterQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly onCallTopic: sns.ITopic;
  /**
   * Deploy the operators' dashboard: $3.00 a month beyond an account's 3 free ones (https://aws.amazon.com/cloudwatch/pricing/).
   * @default false
   */
  readonly dashboard?: boolean;
}

/** Five-minute periods in a row with throttles before the Throttles alarm pages (15 minutes). */
const SUSTAINED_THROTTLING_PERIODS = 3;

/** A metric the jobs publish for the whole service (no JobType), per hour. */
const serviceMetric = (metricName: string, statistic = 'Maximum') =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period: HOUR });

/**
 * The stack-wide alarms that page on-call (on ALARM and again on OK): a missed schedule slot of any job, dead
 * letters of the reconciler (and the webhooks) and sustained throttling; and, when asked for, the operators'
 * dashboard with every job's alarms beside them. CloudWatch bills each metric an alarm reads ($0.10 a month beyond
 * an account's 10 free; a metric-math alarm pays for every metric in it), so the stack's alarms read 9 (10 with the
 * webhooks): per job its failure streak (or, for the hourly job, its successes) and its execution time, one
 * MissedRuns for all jobs, Lambda's account-level Throttles, and the dead-letter queues.
 */
export class JobMonitoring extends Construct {
  readonly alarms: cloudwatch.IAlarm[];
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: JobMonitoringProps) {
    super(scope, id);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, options: PagingAlarmOptions) =>
      pagingAlarm(this, alarmId, props.onCallTopic, metric, options);

    const jobs = props.jobs.map(({ job }) => job);
    const queues = props.otherDeadLetterQueues;
    // A queue without messages or requests for 6 hours stops reporting: FILL keeps the others' sum. A queue
    // holding a message keeps reporting it, so missing data here means empty queues.
    const deadLetters = alarm(
      'DeadLetters',
      new cloudwatch.MathExpression({
        expression: `SUM(FILL([${queues.map((_, index) => `q${index}`).join(', ')}], 0))`,
        usingMetrics: Object.fromEntries(
          queues.map(({ queue }, index) => [
            `q${index}`,
            queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
          ]),
        ),
        label: 'Messages in dead-letter queues',
        period: FIVE_MINUTES,
      }),
      {
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          `Messages wait in a dead-letter queue (${queues.map(({ name }) => name).join(', ')}): ` +
          'a run was not reconciled or a delivery not applied.',
      },
    );
    // The watchdog publishes the count of every watched job's missed slots each hour, zero included: while it does
    // not (NotSucceeding pages for that), the state holds rather than turning OK on a slot still missed.
    const missedRuns = alarm('MissedRuns', serviceMetric(METRIC_NAMES.missedRuns), {
      ...AT_LEAST_ONE,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      alarmDescription:
        'A scheduled slot passed without a run (the hourly watchdog checks each cron and time zone; its alert names ' +
        "the job and slot): check the job's schedule and its schedule dead-letter queue.",
    });
    // Lambda's Throttles without a FunctionName is one metric for the whole account and region: these
    // functions share its unreserved concurrency, so any throttle there can reach them. A burst is no page:
    // the tasks' retrier absorbs a throttled invocation (Lambda.TooManyRequestsException), and one it
    // cannot absorb fails the run (Failing, NotSucceeding). Throttling in every period for 15 minutes, far
    // beyond the retrier's seconds, means the account is out of concurrency. No invocations, no throttles.
    const throttles = alarm('Throttles', lambda.Function.metricAllThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), {
      threshold: 1,
      evaluationPeriods: SUSTAINED_THROTTLING_PERIODS,
      datapointsToAlarm: SUSTAINED_THROTTLING_PERIODS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'Lambda throttled invocations in this account and region in each of the last ' +
        `${SUSTAINED_THROTTLING_PERIODS} five-minute periods: the account is out of concurrency.`,
    });

    this.alarms = [...props.jobs.flatMap((monitored) => monitored.alarms), missedRuns, deadLetters, throttles];
    if (props.dashboard) this.dashboard = this.buildDashboard(jobs, props.functions);
  }

  private buildDashboard(jobs: readonly ScheduledJob[], functions: readonly lambda.IFunction[]): cloudwatch.Dashboard {
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-jobs`,
      defaultInterval: Duration.days(7),
      widgets: [
        jobs.map(
          ({ jobType, stateMachine: machine }) =>
            new cloudwatch.GraphWidget({
              title: `${jobType}: executions`,
              width: 8,
              stacked: true,
              left: [
                machine.metricSucceeded({ period: HOUR, statistic: 'Sum' }),
                machine.metricFailed({ period: HOUR, statistic: 'Sum' }),
                machine.metricTimedOut({ period: HOUR, statistic: 'Sum' }),
              ],
            }),
        ),
        jobs.map(
          ({ jobType, stateMachine: machine }) =>
            new cloudwatch.GraphWidget({
              title: `${jobType}: duration p50 / p95`,
              width: 8,
              left: [
                machine.metricTime({ period: HOUR, statistic: 'p50', label: 'p50' }),
                machine.metricTime({ period: HOUR, statistic: 'p95', label: 'p95' }),
              ],
            }),
        ),
        [
          new cloudwatch.GraphWidget({
            title: 'Revenue at risk ($/day) and SLA breaches',
            width: 24,
            left: [serviceMetric(METRIC_NAMES.revenueAtRisk)],
            right: [serviceMetric(METRIC_NAMES.slaBreaches), serviceMetric(METRIC_NAMES.unassignedCritical)],
          }),
        ],
        [
          // Errors per function are for diagnosis, not paging: a project the daily sync isolates by design
          // still counts as a Lambda error.
          new cloudwatch.GraphWidget({
            title: 'Lambda errors per function',
            width: 24,
            stacked: true,
            left: functions.map((fn) => fn.metricErrors({ period: HOUR, statistic: 'Sum', label: fn.node.path })),
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
      ],
    });
  }
}
