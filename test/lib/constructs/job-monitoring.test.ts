import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JobFunction } from '../../../lib/constructs/job-function.ts';
import { JobMonitoring } from '../../../lib/constructs/job-monitoring.ts';
import type { OnCall } from '../../../lib/constructs/on-call.ts';
import { buildTestApp } from '../../support/synth.ts';

const template = Template.fromStack(buildTestApp().stack);
type Properties = Record<string, unknown> & {
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } };
  }[];
};
/** The constructs that own alarms: each job its own, the monitoring the stack-wide ones. */
const OWNER = /^(DailySync|HourlyMetrics|WeeklyReport|Monitoring)/;
const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
  owner: id.match(OWNER)?.[1],
  name: id.replace(OWNER, '').replace(/[0-9A-F]{8}$/, ''),
  properties: alarm.Properties as Properties,
}));
const topicRef = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };
const alarmNamed = (name: string) => {
  const found = alarms.filter((alarm) => alarm.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!.properties;
};

/**
 * The metrics an alarm reads, as CloudWatch bills them: its one metric, or each metric of a
 * metric-math alarm (cloudwatch/pricing: "each metric in the expression is an alarm metric").
 */
function billedMetrics(properties: Properties): number {
  if (properties.MetricName) return 1;
  for (const query of properties.Metrics!) {
    // SEARCH and Metrics Insights alarms are billed per metric they find, which a template cannot tell.
    if (query.Expression && /SEARCH|SELECT/i.test(query.Expression)) throw new Error(`cannot count the metrics of ${query.Expression}`);
  }
  return properties.Metrics!.filter((query) => query.MetricStat).length;
}

describe('alarms', () => {
  it("read at most 10 metrics in all, an account's free alarm metrics (CloudWatch bills $0.10 for each beyond)", () => {
    const perAlarm = Object.fromEntries(alarms.map(({ name, properties }) => [name, billedMetrics(properties)]));
    expect(perAlarm).toEqual({
      dailysyncFailing: 1,
      dailysyncLongRun: 1,
      hourlymetricsNotSucceeding: 1,
      hourlymetricsLongRun: 1,
      weeklyreportFailing: 1,
      weeklyreportLongRun: 1,
      MissedRuns: 1,
      DeadLetters: 1,
      Throttles: 1,
    });
    // The webhooks, when deployed, add their dead-letter queue: 10.
    expect(Object.values(perAlarm).reduce((sum, count) => sum + count, 0)).toBe(9);
  });

  it("live in their job's construct (each job's own), the stack-wide ones (missed runs, dead letters, throttles) in Monitoring", () => {
    const byOwner: Record<string, string[]> = {};
    for (const { owner, name } of alarms) byOwner[owner ?? 'elsewhere'] = [...(byOwner[owner ?? 'elsewhere'] ?? []), name].sort();
    expect(byOwner).toEqual({
      DailySync: ['dailysyncFailing', 'dailysyncLongRun'],
      HourlyMetrics: ['hourlymetricsLongRun', 'hourlymetricsNotSucceeding'],
      WeeklyReport: ['weeklyreportFailing', 'weeklyreportLongRun'],
      Monitoring: ['DeadLetters', 'MissedRuns', 'Throttles'],
    });
  });

  it.each([
    ['dailysyncFailing', 'CtoDashboard', 'ConsecutiveFailures', 'Maximum', 300, 1, 1, 'GreaterThanOrEqualToThreshold', 1, 'ignore'],
    ['weeklyreportFailing', 'CtoDashboard', 'ConsecutiveFailures', 'Maximum', 300, 1, 1, 'GreaterThanOrEqualToThreshold', 1, 'ignore'],
    ['hourlymetricsNotSucceeding', 'AWS/States', 'ExecutionsSucceeded', 'Sum', 3600, 2, 2, 'LessThanThreshold', 1, 'breaching'],
    ['dailysyncLongRun', 'AWS/States', 'ExecutionTime', 'Maximum', 300, 1, 1, 'GreaterThanThreshold', 480_000, 'ignore'],
    ['hourlymetricsLongRun', 'AWS/States', 'ExecutionTime', 'Maximum', 300, 1, 1, 'GreaterThanThreshold', 480_000, 'ignore'],
    ['weeklyreportLongRun', 'AWS/States', 'ExecutionTime', 'Maximum', 300, 1, 1, 'GreaterThanThreshold', 480_000, 'ignore'],
    ['MissedRuns', 'CtoDashboard', 'MissedRuns', 'Maximum', 3600, 1, 1, 'GreaterThanOrEqualToThreshold', 1, 'ignore'],
    ['Throttles', 'AWS/Lambda', 'Throttles', 'Sum', 300, 3, 3, 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
  ])(
    '%s: %s %s %s, period %i s, %i of %i breaching, %s %d, missing data %s, paging on ALARM and OK',
    (name, namespace, metricName, statistic, period, datapointsToAlarm, evaluationPeriods, comparison, threshold, missing) => {
      const properties = alarmNamed(name);
      expect(properties).toMatchObject({
        Namespace: namespace,
        MetricName: metricName,
        Statistic: statistic,
        Period: period,
        EvaluationPeriods: evaluationPeriods,
        ComparisonOperator: comparison,
        Threshold: threshold,
        TreatMissingData: missing,
        AlarmActions: [topicRef],
        OKActions: [topicRef],
      });
      // Without DatapointsToAlarm, CloudWatch needs every evaluated period to breach.
      expect(properties.DatapointsToAlarm ?? properties.EvaluationPeriods).toBe(datapointsToAlarm);
      expect(properties.InsufficientDataActions).toBeUndefined();
      expect(String(properties.AlarmDescription).length).toBeGreaterThan(20);
    },
  );

  it('hold their state between datapoints when the metric is written only when something ends: no OK until one says so', () => {
    // Their metric is written when a run or the hourly watchdog ends, so a missing datapoint is no news:
    // an OK would page on-call while nothing was fixed.
    const byTreatment = (treatment: string) =>
      alarms
        .filter(({ properties }) => properties.TreatMissingData === treatment)
        .map(({ name }) => name)
        .sort();
    expect(byTreatment('ignore')).toEqual([
      'MissedRuns',
      'dailysyncFailing',
      'dailysyncLongRun',
      'hourlymetricsLongRun',
      'weeklyreportFailing',
      'weeklyreportLongRun',
    ]);
    // Missing data is the failure for the hourly job (it did not run), and good news for the others (empty queues, no throttles).
    expect(byTreatment('breaching')).toEqual(['hourlymetricsNotSucceeding']);
    expect(byTreatment('notBreaching')).toEqual(['DeadLetters', 'Throttles']);
  });

  it('watch each job by its own dimension (the failure streak per job type, executions per state machine), missed runs together', () => {
    expect(alarmNamed('dailysyncFailing').Dimensions).toEqual([
      { Name: 'JobType', Value: 'daily_sync' },
      { Name: 'service', Value: 'cto-dashboard-jobs' },
    ]);
    expect(alarmNamed('weeklyreportFailing').Dimensions).toEqual([
      { Name: 'JobType', Value: 'weekly_report' },
      { Name: 'service', Value: 'cto-dashboard-jobs' },
    ]);
    expect(alarmNamed('MissedRuns').Dimensions).toEqual([{ Name: 'service', Value: 'cto-dashboard-jobs' }]);
    const machines = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const watched = ['dailysyncLongRun', 'hourlymetricsLongRun', 'weeklyreportLongRun'].map(
      (name) => (alarmNamed(name).Dimensions as { Value: { Ref: string } }[])[0]!.Value.Ref,
    );
    expect(watched.sort()).toEqual(machines.sort());
    expect((alarmNamed('hourlymetricsNotSucceeding').Dimensions as { Value: { Ref: string } }[])[0]!.Value.Ref).toMatch(
      /^HourlyMetricsJobStateMachine/,
    );
  });

  it("page on messages in the reconciler's dead-letter queue (and the webhooks'), not the schedules' (MissedRuns pages for those)", () => {
    const properties = alarmNamed('DeadLetters');
    expect(properties).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
    const stats = properties.Metrics!.filter((query) => query.MetricStat);
    const [expression] = properties.Metrics!.filter((query) => query.Expression);
    expect(expression!.Expression).toBe(`SUM(FILL([${stats.map((query) => query.Id).join(', ')}], 0))`);
    const queues = stats.map((query) => {
      expect(query.MetricStat!.Metric).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
      return (query.MetricStat!.Metric.Dimensions![0]!.Value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    });
    const scheduleQueues = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /ScheduleDeadLetterQueue/.test(id));
    expect(scheduleQueues).toHaveLength(3);
    expect(queues.map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['EngineReconcilerDeadLetterQueue']);
  });

  it("never page on a function's own errors (one project failing is one), and on account-wide throttling only after 15 minutes", () => {
    const lambdaAlarms = alarms.filter(({ properties }) => properties.Namespace === 'AWS/Lambda');
    expect(lambdaAlarms.map(({ properties }) => [properties.MetricName, properties.Dimensions])).toEqual([['Throttles', undefined]]);
    // A burst is retried by the tasks (Lambda.TooManyRequestsException), and one the retrier cannot absorb fails the run
    // (Failing, NotSucceeding).
    const throttles = alarmNamed('Throttles');
    expect((throttles.Period as number) * (throttles.DatapointsToAlarm as number)).toBe(15 * 60);
    expect(throttles.DatapointsToAlarm).toBe(throttles.EvaluationPeriods);
  });
});

describe('the dashboard', () => {
  it("is not deployed unless asked for ($3.00 a month beyond an account's 3 free ones)", () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  // The stack's own monitoring with the dashboard asked for, beside the default one.
  const { stack } = buildTestApp();
  new JobMonitoring(stack, 'MonitoringWithDashboard', {
    jobs: Object.values(stack.jobs).map((job) => ({ job, alarms: [] })),
    functions: stack.node.findAll().filter((child): child is JobFunction => child instanceof JobFunction),
    otherDeadLetterQueues: [],
    onCallTopic: (stack.node.findChild('OnCall') as OnCall).topic,
    dashboard: true,
  });
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  const body = JSON.stringify(dashboard!.Properties.DashboardBody);

  it('shows executions, durations, revenue at risk, SLA breaches and the alarms when asked for', () => {
    for (const title of [
      'daily_sync: executions',
      'hourly_metrics: duration p50 / p95',
      'Revenue at risk ($/day) and SLA breaches',
      'Alarms',
    ]) {
      expect(body).toContain(title);
    }
  });

  it("still shows every function's errors, for diagnosis", () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => !id.startsWith('LogRetention'));
    expect(body).toContain('Lambda errors per function');
    expect(body.match(/AWS\/Lambda/g)).toHaveLength(functions.length);
  });
});
