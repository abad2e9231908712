import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { parseCron, toSchedulerCron } from '../../shared/domain/schedule.ts';
import type { JobType } from '../../shared/domain/job-run.ts';
import { acknowledgeNag, nagArnOf } from '../acknowledge.ts';
import type { JobEngine } from './job-engine.ts';
import { retryTransient } from './retry-transient.ts';

/** One unit of a job's work: a Lambda task whose StepResult lands at `$.run.results.<resultKey>`. */
export interface WorkStep {
  /** The state's name, as people read it in the console (e.g. `Clean Up Old Logs`). */
  readonly stateName: string;
  readonly resultKey: string;
  readonly handler: lambda.IFunction;
  /** @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** Payload fields beside the run's context (JSONPath values, e.g. a Map's results). */
  readonly payload?: Readonly<Record<string, unknown>>;
  /**
   * States that run just before this step (e.g. a Map over projects). They receive the run's state,
   * must keep `$.run`, and send their errors to `onError` with `resultPath: '$.error'`.
   */
  readonly before?: (scope: Construct, onError: sfn.IChainable) => sfn.Chain;
  /** The functions the `before` states invoke. */
  readonly beforeInvokes?: readonly lambda.IFunction[];
  /**
   * Housekeeping whose failure (after its retries) must not stop the job: it is recorded as this step's
   * result (`recordsFailed: 1`, the error in the summary) and the job goes on.
   */
  readonly optional?: boolean;
}

/** Work steps that run side by side, each branch a sequence; their results land beside the others'. */
export interface ParallelWork {
  /** The Parallel state's name. */
  readonly stateName: string;
  readonly branches: readonly (readonly WorkStep[])[];
}

export interface ScheduledJobProps {
  readonly jobType: JobType;
  /** 5-field cron, e.g. `0 2 * * *`. */
  readonly cron: string;
  /** IANA time zone the cron runs in. */
  readonly timeZone: string;
  /** The state machine's TimeoutSeconds. */
  readonly timeout: Duration;
  readonly engine: JobEngine;
  readonly steps: readonly (WorkStep | ParallelWork)[];
  /** How often Scheduler retries a failed StartExecution. */
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * A scheduled job: an EventBridge Scheduler schedule (cron, time zone, retry policy, dead-letter queue)
 * that starts a Standard state machine. Every run starts with "Start Run" (idempotency and overlap),
 * runs its work steps with retries on transient errors, and records its outcome.
 */
export class ScheduledJob extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { engine } = props;

    const startRun = retryTransient(
      new tasks.LambdaInvoke(this, 'Start Run', {
        lambdaFunction: engine.startRun,
        payload: sfn.TaskInput.fromObject({
          jobType: sfn.JsonPath.stringAt('$.jobType'),
          trigger: sfn.JsonPath.stringAt('$.trigger'),
          scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
          executionArn: sfn.JsonPath.executionId,
        }),
        resultSelector: {
          runId: sfn.JsonPath.stringAt('$.Payload.runId'),
          decision: sfn.JsonPath.stringAt('$.Payload.decision'),
          results: {},
        },
        resultPath: '$.run',
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(1)),
      }),
    );

    const recordOutcome = (stateName: string, outcome: 'completed' | 'failed', extra: Record<string, unknown> = {}) =>
      retryTransient(
        new tasks.LambdaInvoke(this, stateName, {
          lambdaFunction: engine.finishRun,
          payload: sfn.TaskInput.fromObject({
            runId: sfn.JsonPath.stringAt('$.run.runId'),
            jobType: sfn.JsonPath.stringAt('$.jobType'),
            executionArn: sfn.JsonPath.executionId,
            redriveCount: sfn.JsonPath.numberAt('$$.Execution.RedriveCount'),
            outcome,
            results: sfn.JsonPath.objectAt('$.run.results'),
            ...extra,
          }),
          resultPath: sfn.JsonPath.DISCARD,
          retryOnServiceExceptions: false,
          taskTimeout: sfn.Timeout.duration(Duration.minutes(1)),
        }),
      );
    const recordFailure = recordOutcome('Record Failure', 'failed', { error: sfn.JsonPath.objectAt('$.error') }).next(
      new sfn.Fail(this, 'Run Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    const recordSuccess = recordOutcome('Record Success', 'completed').next(new sfn.Succeed(this, 'Run Completed'));

    const invoke = (step: WorkStep) =>
      retryTransient(
        new tasks.LambdaInvoke(this, step.stateName, {
          lambdaFunction: step.handler,
          payload: sfn.TaskInput.fromObject({
            runId: sfn.JsonPath.stringAt('$.run.runId'),
            jobType: sfn.JsonPath.stringAt('$.jobType'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
            ...step.payload,
          }),
          resultSelector: {
            recordsProcessed: sfn.JsonPath.numberAt('$.Payload.recordsProcessed'),
            recordsFailed: sfn.JsonPath.numberAt('$.Payload.recordsFailed'),
            summary: sfn.JsonPath.stringAt('$.Payload.summary'),
            attempt: sfn.JsonPath.numberAt('$.Payload.attempt'),
          },
          resultPath: `$.run.results.${step.resultKey}`,
          retryOnServiceExceptions: false,
          taskTimeout: sfn.Timeout.duration(step.timeout ?? Duration.minutes(2)),
        }),
      );
    const catchInto = { errors: [sfn.Errors.ALL], resultPath: '$.error' };
    /** An optional step's task, whose failure becomes its result instead of the run's failure. */
    const tolerant = (step: WorkStep): sfn.Chain => {
      const task = invoke(step);
      // The caught error itself is the result: Record Success summarizes it (a Lambda error's Cause is JSON).
      const recorded = new sfn.Pass(this, `${step.stateName} Failed`, {
        comment: 'Records the failure as this step\'s result; the job goes on',
        parameters: { recordsProcessed: 0, recordsFailed: 1, error: sfn.JsonPath.objectAt('$.stepError'), attempt: 1 },
        resultPath: `$.run.results.${step.resultKey}`,
      });
      task.addCatch(recorded, { errors: [sfn.Errors.ALL], resultPath: '$.stepError' });
      return sfn.Chain.custom(task, [task, recorded], task);
    };
    const stepChain = (step: WorkStep): sfn.IChainable => (step.optional ? tolerant(step) : invoke(step));
    const resultKeys: string[] = [];
    const work = props.steps.flatMap((item): sfn.IChainable[] => {
      if ('branches' in item) {
        // Each branch returns the whole state; gather every result (earlier steps' from the first branch).
        const parallel = new sfn.Parallel(this, item.stateName, {
          resultSelector: Object.fromEntries([
            ...resultKeys.map((key) => [key, sfn.JsonPath.objectAt(`$[0].run.results.${key}`)]),
            ...item.branches.flatMap((branch, index) => branch.map((step) => [step.resultKey, sfn.JsonPath.objectAt(`$[${index}].run.results.${step.resultKey}`)])),
          ]),
          resultPath: '$.run.results',
        });
        for (const branch of item.branches) {
          const [first, ...rest] = branch.map(stepChain);
          parallel.branch(rest.reduce<sfn.Chain>((chain, task) => chain.next(task), sfn.Chain.start(first!)));
        }
        resultKeys.push(...item.branches.flatMap((branch) => branch.map((step) => step.resultKey)));
        return [parallel.addCatch(recordFailure, catchInto)];
      }
      resultKeys.push(item.resultKey);
      return [...(item.before ? [item.before(this, recordFailure)] : []), item.optional ? tolerant(item) : invoke(item).addCatch(recordFailure, catchInto)];
    });
    const workChain = [...work, recordSuccess].slice(1).reduce<sfn.Chain>((chain, state) => chain.next(state), sfn.Chain.start(work[0] ?? recordSuccess));

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
        .otherwise(workChain),
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
    const steps = props.steps.flatMap((item) => ('branches' in item ? item.branches.flat() : [item]));
    for (const handler of new Set([engine.startRun, engine.finishRun, ...steps.flatMap((step) => [step.handler, ...(step.beforeInvokes ?? [])])])) {
      acknowledgeNag(role, `IAM5[Resource::${nagArnOf(handler)}:*]`, 'lambda:InvokeFunction on the function and its versions only');
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
