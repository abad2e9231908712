import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { JobType } from '../../shared/domain/job-run.ts';
import { JOB_TYPE_DIMENSION, METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/metrics.ts';
import type { ScheduledJob } from './scheduled-job.ts';

export const FIVE_MINUTES = Duration.minutes(5);
export const HOUR = Duration.hours(1);

/** Where a job's alarms page, and what they page on. */
export interface JobAlarmProps {
  readonly onCallTopic: sns.ITopic;
  /** A run longer than this alarms. */
  readonly longRun: Duration;
}

/** Alarm options that must say what missing data means. */
export type PagingAlarmOptions = Omit<cloudwatch.CreateAlarmOptions, 'metric'> & {
  readonly treatMissingData: cloudwatch.TreatMissingData;
};

/**
 * An alarm that pages on-call on ALARM and again on OK. Each alarm says what missing data means for it: a
 * metric written only when a run ends must hold its state between runs (IGNORE), or CloudWatch sends OK
 * once the datapoint leaves its evaluation range.
 */
export function pagingAlarm(
  scope: Construct,
  id: string,
  onCallTopic: sns.ITopic,
  metric: cloudwatch.IMetric,
  options: PagingAlarmOptions,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, { metric, ...options });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(onCallTopic));
  alarm.addOkAction(new cloudwatchActions.SnsAction(onCallTopic));
  return alarm;
}

/** A metric the engine or the watchdog publishes for one job type. */
export function jobMetric(metricName: string, jobType: JobType, statistic: string, period = HOUR): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, [JOB_TYPE_DIMENSION]: jobType },
    statistic,
    period,
  });
}

export const AT_LEAST_ONE = {
  threshold: 1,
  evaluationPeriods: 1,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};

/**
 * The alarms of a job the hourly watchdog watches: its failing runs and a long run (the watchdog itself alarms when
 * it stops succeeding, see HourlyMetrics; its missed slots share one alarm for all jobs, see JobMonitoring).
 */
export function watchedJobAlarms(scope: Construct, job: ScheduledJob, props: JobAlarmProps): cloudwatch.Alarm[] {
  const { jobType } = job;
  return [
    // The engine publishes the job's failure streak when a run ends (Record Failure; the reconciler for a
    // timed-out or aborted execution; the hourly stuck-run sweep when the reconciler's event was lost): red
    // from the first failed run until one succeeds, and between runs the state holds (no OK while nothing
    // was fixed).
    pagingAlarm(
      scope,
      `${jobType}Failing`,
      props.onCallTopic,
      jobMetric(METRIC_NAMES.consecutiveFailures, jobType, 'Maximum', FIVE_MINUTES),
      {
        ...AT_LEAST_ONE,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        alarmDescription: `${jobType}: the last run failed or timed out (the value is how many in a row); OK when a run succeeds.`,
      },
    ),
    longRunAlarm(scope, job, props),
  ];
}

/** Every job's alarm on a run that came close to its time budget. */
export function longRunAlarm(scope: Construct, job: ScheduledJob, props: JobAlarmProps): cloudwatch.Alarm {
  // ExecutionTime is written once, when an execution ends: the state holds until the next one ends.
  return pagingAlarm(
    scope,
    `${job.jobType}LongRun`,
    props.onCallTopic,
    job.stateMachine.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' }),
    {
      threshold: props.longRun.toMilliseconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      alarmDescription:
        `${job.jobType}: the last execution took longer than ${props.longRun.toMinutes()} minutes, close to its time budget; ` +
        'OK when a run ends in time.',
    },
  );
}
