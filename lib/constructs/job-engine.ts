import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/environment.ts';
import { acknowledgeNag } from '../acknowledge.ts';
import { JobFunction, type TableAction } from './job-function.ts';
import type { JobTables } from './job-tables.ts';

export interface JobEngineProps {
  readonly tables: JobTables;
  /** A run's budget; also how long an overlap lock lives. */
  readonly jobTimeout: Duration;
  readonly logRetentionDays: number;
  readonly historyRetentionDays: number;
}

/**
 * The parts every job shares: the functions that start and finish a run, the stuck-run sweep, and the
 * reconciler that records executions that ended without reaching their own last state.
 */
export class JobEngine extends Construct {
  readonly startRun: JobFunction;
  readonly finishRun: JobFunction;
  readonly sweepStuckRuns: JobFunction;
  readonly reconcileExecution: JobFunction;
  private readonly tables: JobTables;
  private readonly settings: Record<string, string>;

  constructor(scope: Construct, id: string, props: JobEngineProps) {
    super(scope, id);
    this.tables = props.tables;
    this.settings = {
      [ENV.logRetentionDays]: String(props.logRetentionDays),
      [ENV.jobTimeoutSeconds]: String(props.jobTimeout.toSeconds()),
      [ENV.historyRetentionDays]: String(props.historyRetentionDays),
    };
    this.startRun = this.engineFunction('StartRun', 'lambdas/engine/start-run.ts', 'Records a run and takes its overlap lock', [
      'GetItem',
      'PutItem',
      'UpdateItem',
    ]);
    this.finishRun = this.engineFunction('FinishRun', 'lambdas/engine/finish-run.ts', "Records a run's outcome and releases its lock", [
      'GetItem',
      'UpdateItem',
      'DeleteItem',
      'Query',
    ]);
    this.sweepStuckRuns = this.engineFunction(
      'SweepStuckRuns',
      'lambdas/engine/sweep-stuck-runs.ts',
      'Marks runs still open past their budget as timed out',
      ['Query', 'UpdateItem', 'DeleteItem'],
    );
    this.reconcileExecution = this.engineFunction(
      'ReconcileExecution',
      'lambdas/engine/reconcile-execution.ts',
      'Records executions that failed, timed out or were aborted outside their own states',
      ['GetItem', 'PutItem', 'Query', 'UpdateItem', 'DeleteItem'],
    )
      // A daily run whose child executions failed is closed with the token error one of its projects recorded, if any.
      .bindTable(props.tables.projects, ['Query'], ENV.projectsTable);
  }

  /** Lets a job's function read runs (JobHistory GetItem) and append SyncEvents through the engine's stores. */
  readRuns(fn: JobFunction): JobFunction {
    for (const [name, value] of Object.entries(this.settings)) fn.addEnvironment(name, value);
    return fn
      .bindTable(this.tables.jobHistory, ['GetItem'], ENV.jobHistoryTable)
      .bindTable(this.tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
  }

  /**
   * Sends the "Execution Status Change" events (FAILED, TIMED_OUT, ABORTED) of these state machines to
   * the reconciler. The events are best effort, which is why the stuck-run sweep exists too.
   * @returns the dead-letter queue of the events the reconciler could not take.
   */
  reconcile(stateMachines: readonly sfn.IStateMachine[]): sqs.IQueue {
    const deadLetterQueue = new sqs.Queue(this, 'ReconcilerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the reconciler rule');
    // Events the function itself fails on (after Lambda's async retries) land in the same queue.
    this.reconcileExecution.configureAsyncInvoke({ onFailure: new lambdaDestinations.SqsDestination(deadLetterQueue), retryAttempts: 2 });
    new events.Rule(this, 'ExecutionEnded', {
      description: 'Job executions that ended as FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: stateMachines.map((machine) => machine.stateMachineArn),
        },
      },
      targets: [
        new eventsTargets.LambdaFunction(this.reconcileExecution, {
          deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
    return deadLetterQueue;
  }

  private engineFunction(id: string, entry: string, description: string, jobHistoryActions: readonly TableAction[]): JobFunction {
    // Well inside the 1-minute task timeout, so Step Functions never gives up on a call that then goes on
    // to take a lock behind the reconciler's back.
    return new JobFunction(this, id, { entry, description, environment: this.settings, timeout: Duration.seconds(20) })
      .bindTable(this.tables.jobHistory, jobHistoryActions, ENV.jobHistoryTable)
      .bindTable(this.tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
  }
}
