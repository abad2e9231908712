import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
  /** Whether the job runs every hour: its absence of successes alarms directly (the watchdog covers the others). */
  readonly hourly: boolean;
}

export interface JobMonitoringProps {
  readonly jobs: readonly MonitoredJob[];
  readonly functions: readonly lambda.IFunction[];
  readonly otherDeadLetterQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly onCallTopic: sns.ITopic;
  /** A run longer than this alarms (default 8 minutes). */
  readonly longRun: Duration;
  /** This many failed runs in a row alarm (default 3). */
  readonly consecutiveFailures: number;
}

const FIVE_MINUTES = Duration.minutes(5);
const HOUR = Duration.hours(1);

/**
 * The alarms that page on-call (on ALARM and again on OK) and the operators' dashboard: failed, timed-out
 * and long executions per job, failure streaks, missed runs, undelivered schedules and events, Lambda
 * errors and throttles.
 */
export class JobMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: JobMonitoringProps) {
    super(scope, id);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.CreateAlarmOptions, 'metric'>) => {
      const created = new cloudwatch.Alarm(this, alarmId, { metric, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...options });
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
      alarm(`${job.jobType}ExecutionsFailed`, machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        ...atLeastOne,
        alarmDescription: `${job.jobType}: an execution failed. See \`cto-jobs history --job\` and its SyncEvents.`,
      });
      alarm(`${job.jobType}ExecutionsTimedOut`, machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        ...atLeastOne,
        alarmDescription: `${job.jobType}: an execution ran out of its budget and was stopped.`,
      });
      alarm(`${job.jobType}LongRun`, machine.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: props.longRun.toMilliseconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${job.jobType}: an execution took longer than ${props.longRun.toMinutes()} minutes.`,
      });
      alarm(`${job.jobType}ConsecutiveFailures`, jobMetric(METRIC_NAMES.consecutiveFailures, job.jobType, 'Maximum'), {
        threshold: props.consecutiveFailures,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: `${job.jobType}: ${props.consecutiveFailures} or more runs in a row failed or timed out.`,
      });
      if (job.hourly) {
        // No success in two hours: missing data is the symptom here (a disabled schedule emits nothing).
        alarm(`${job.jobType}NoSuccess`, machine.metricSucceeded({ period: HOUR, statistic: 'Sum' }), {
          threshold: 1,
          evaluationPeriods: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          alarmDescription: `${job.jobType}: no execution succeeded in the last 2 hours (missed or failing runs).`,
        });
      } else {
        alarm(`${job.jobType}MissedRuns`, jobMetric(METRIC_NAMES.missedRuns, job.jobType, 'Maximum'), {
          ...atLeastOne,
          alarmDescription: `${job.jobType}: a scheduled slot passed without a run (the hourly watchdog checks its cron and time zone).`,
        });
      }
      alarm(`${job.jobType}ScheduleDeadLetters`, job.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${job.jobType}: EventBridge Scheduler could not start a run; the delivery is in the schedule's dead-letter queue.`,
      });
    }
    for (const { name, queue } of props.otherDeadLetterQueues) {
      alarm(`${name}DeadLetters`, queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), {
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${name}: messages are waiting in the dead-letter queue.`,
      });
    }
    for (const fn of props.functions) {
      const name = Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      alarm(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), { ...atLeastOne, alarmDescription: `${fn.node.path}: invocations failed.` });
      alarm(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), { ...atLeastOne, alarmDescription: `${fn.node.path}: invocations were throttled.` });
    }

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
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
      ],
    });
  }
}
