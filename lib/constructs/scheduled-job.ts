import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { JobType } from '../../shared/domain/job-run.ts';
import { parseCron, toSchedulerCron } from '../../shared/domain/schedule.ts';
import { acknowledgeNag, nagArnOf } from '../acknowledge.ts';
import { type InvokeTaskProps, invokeTask } from './invoke-task.ts';
import type { JobAlarmProps } from './job-alarms.ts';
import type { JobEngine } from './job-engine.ts';
import type { JobTables } from './job-tables.ts';

/** When a job starts and how long a run may take, from the configuration. */
export interface ScheduleSettings {
  /** 5-field cron, e.g. `0 2 * * *`. */
  readonly cron: string;
  /** IANA time zone the cron runs in. */
  readonly timeZone: string;
  /** The state machine's TimeoutSeconds. */
  readonly timeout: Duration;
  /** How often Scheduler retries a failed StartExecution. */
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/** What every job's construct takes from the stack. */
export interface JobProps {
  readonly engine: JobEngine;
  readonly tables: JobTables;
  readonly schedule: ScheduleSettings;
  readonly alarms: JobAlarmProps;
}

export interface StepProps {
  /** Where the step's StepResult lands: `$.run.results.<resultKey>`. */
  readonly resultKey: string;
  /** @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** Payload fields beside the run's context (JSONPath values, e.g. a Map's results). */
  readonly payload?: Readonly<Record<string, unknown>>;
}

/** What a job's chain is built with: the run's Lambda tasks and where an error that fails the run goes. */
export interface JobRun {
  /** Record Failure, then Run Failed: catch an error that fails the run into it with `ANY_ERROR`. */
  readonly recordFailure: sfn.IChainable;
  /** A Lambda task with the defaults of {@link invokeTask}, which the state machine is allowed to invoke. */
  invoke(stateName: string, fn: lambda.Function, props: InvokeTaskProps): tasks.LambdaInvoke;
  /**
   * A step of the run: the function gets the run's context (runId, jobType, scheduledTime, the state's
   * retry count) and returns a StepResult (records processed and failed, a summary, the attempt).
   */
  step(stateName: string, fn: lambda.Function, props: StepProps): tasks.LambdaInvoke;
}

export interface ScheduledJobProps extends ScheduleSettings {
  readonly jobType: JobType;
  readonly engine: JobEngine;
  /** Builds the job's own states, run between "Run or Skip?" and "Record Success". */
  readonly work: (run: JobRun) => sfn.IChainable;
}

/** What a step's function returns, kept at `$.run.results.<resultKey>` for Record Success. */
const STEP_RESULT = {
  recordsProcessed: sfn.JsonPath.numberAt('$.Payload.recordsProcessed'),
  recordsFailed: sfn.JsonPath.numberAt('$.Payload.recordsFailed'),
  summary: sfn.JsonPath.stringAt('$.Payload.summary'),
  attempt: sfn.JsonPath.numberAt('$.Payload.attempt'),
  rateLimitDeferrals: sfn.JsonPath.numberAt('$.Payload.rateLimitDeferrals'),
};

/** The engine's calls (Start Run, Record Success/Failure) take at most their function's 20 seconds. */
const ENGINE_TASK_TIMEOUT = Duration.minutes(1);

/**
 * A scheduled job, the part every job shares: an EventBridge Scheduler schedule (cron, time zone, retry
 * policy, dead-letter queue) that starts a Standard state machine, logged to its own log group. Every
 * run starts with "Start Run" (idempotency and overlap) and "Run or Skip?", then runs the job's work,
 * then records its outcome: "Record Success", or "Record Failure" for an error the work sends there.
 */
export class ScheduledJob extends Construct {
  readonly jobType: JobType;
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { engine } = props;
    this.jobType = props.jobType;
    const invoked = new Set<lambda.IFunction>();
    const invoke = (stateName: string, fn: lambda.Function, taskProps: InvokeTaskProps) => {
      invoked.add(fn);
      return invokeTask(this, stateName, fn, taskProps);
    };

    const startRun = invoke('Start Run', engine.startRun, {
      payload: {
        jobType: sfn.JsonPath.stringAt('$.jobType'),
        trigger: sfn.JsonPath.stringAt('$.trigger'),
        scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
        executionArn: sfn.JsonPath.executionId,
      },
      resultSelector: {
        runId: sfn.JsonPath.stringAt('$.Payload.runId'),
        decision: sfn.JsonPath.stringAt('$.Payload.decision'),
        results: {},
      },
      resultPath: '$.run',
      timeout: ENGINE_TASK_TIMEOUT,
    });

    const recordOutcome = (stateName: string, outcome: 'completed' | 'failed', extra: Record<string, unknown> = {}) =>
      invoke(stateName, engine.finishRun, {
        payload: {
          runId: sfn.JsonPath.stringAt('$.run.runId'),
          jobType: sfn.JsonPath.stringAt('$.jobType'),
          executionArn: sfn.JsonPath.executionId,
          redriveCount: sfn.JsonPath.numberAt('$$.Execution.RedriveCount'),
          outcome,
          results: sfn.JsonPath.objectAt('$.run.results'),
          ...extra,
        },
        resultPath: sfn.JsonPath.DISCARD,
        timeout: ENGINE_TASK_TIMEOUT,
      });
    const recordFailure = recordOutcome('Record Failure', 'failed', { error: sfn.JsonPath.objectAt('$.error') }).next(
      new sfn.Fail(this, 'Run Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    const recordSuccess = recordOutcome('Record Success', 'completed').next(new sfn.Succeed(this, 'Run Completed'));

    const work = props.work({
      recordFailure,
      invoke,
      step: (stateName, fn, { resultKey, timeout = Duration.minutes(2), payload }) =>
        invoke(stateName, fn, {
          payload: {
            runId: sfn.JsonPath.stringAt('$.run.runId'),
            jobType: sfn.JsonPath.stringAt('$.jobType'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
            ...payload,
          },
          resultSelector: STEP_RESULT,
          resultPath: `$.run.results.${resultKey}`,
          timeout,
        }),
    });

    const definition = startRun.next(
      new sfn.Choice(this, 'Run or Skip?')
        .when(
          sfn.Condition.stringEquals('$.run.decision', 'duplicate'),
          new sfn.Succeed(this, 'Duplicate Delivery Ignored', { comment: 'This schedule slot already has a run' }),
        )
        .when(
          sfn.Condition.stringEquals('$.run.decision', 'skipped'),
          new sfn.Succeed(this, 'Skipped: Already Running', { comment: 'Another run of this job holds the lock' }),
        )
        .otherwise(sfn.Chain.start(work).next(recordSuccess)),
    );

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${props.jobType}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `${props.jobType}: ${props.cron} (${props.timeZone})`,
    });

    const role = this.stateMachine.role;
    acknowledgeNag(role, 'IAM5[Resource::*]', 'X-Ray PutTraceSegments/GetSamplingRules accept no resource but *');
    for (const fn of invoked) {
      acknowledgeNag(role, `IAM5[Resource::${nagArnOf(fn)}:*]`, 'lambda:InvokeFunction on the function and its versions only');
    }

    this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(this.deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the schedule');
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Starts ${props.jobType} at ${props.cron} (${props.timeZone})`,
      schedule: scheduler.ScheduleExpression.expression(toSchedulerCron(parseCron(props.cron)), TimeZone.of(props.timeZone)),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({
          jobType: props.jobType,
          trigger: 'schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        retryAttempts: props.retryAttempts,
        maxEventAge: props.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
  }
}
