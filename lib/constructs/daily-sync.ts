import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GitHubAppSettings } from '../../shared/config.ts';
import type { AlertRules } from '../../shared/domain/alerts.ts';
import type { BugRules } from '../../shared/domain/bugs.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
import { ZERO_TOTALS } from '../../shared/domain/sync-totals.ts';
import { ENV } from '../../shared/environment.ts';
import { GITHUB_POINTS_PER_MINUTE, pacingIntervalMs } from '../../shared/github/rate-budget.ts';
import { acknowledgeNag } from '../acknowledge.ts';
import { ANY_ERROR } from './invoke-task.ts';
import { watchedJobAlarms } from './job-alarms.ts';
import { JobFunction } from './job-function.ts';
import { type JobProps, ScheduledJob } from './scheduled-job.ts';

export interface DailySyncProps extends JobProps {
  readonly githubApiUrl: string;
  /** Secrets Manager secret holding the GitHub token. */
  readonly tokenSecretName: string;
  /** Authenticate as this GitHub App (its key in Secrets Manager) instead of with the token. @default the token */
  readonly app?: GitHubAppSettings;
  readonly bugRules: BugRules;
  /** The severities that page: the hourly aggregates a sync rebuilds count by them. */
  readonly alertRules: AlertRules;
  readonly logRetentionDays: number;
  /** Discover the org's active repositories as projects on each run. */
  readonly discovery?: { readonly org: string; readonly activeWithinDays: number };
  /** Percent of each GitHub budget's primary limit left to others (github.rateLimitReserve). @default 10 */
  readonly rateLimitReserve?: number;
  /**
   * GitHub's secondary limit as the sync spends it (github.pacing): points a minute for all projects together, and
   * project syncs at once. @default 900 points a minute, 5 syncs at once
   */
  readonly pacing?: { readonly pointsPerMinute: number; readonly concurrentSyncs: number };
}

/**
 * Child executions at once. The pace is computed for all project syncs at once, children x projects in each
 * (github.pacing.concurrentSyncs, divided among the children), so more children would not multiply the rate.
 */
const CHILDREN_AT_ONCE = 1;
/**
 * Ranges of project ids (25 projects each: PROJECTS_PER_RANGE in shared/daily/steps.ts) in one child execution: 100
 * projects. An Express child lasts at most 5 minutes; at 900 requests a minute shared by 5 syncs a project of one
 * request takes about 0.4 s of a slot, 100 projects about 10 s, so a child ends well inside its time even when its
 * projects need a few pages each; past CHILD_SYNC_BUDGET_MS (steps.ts) the rest are deferred, their progress saved.
 */
const RANGES_PER_CHILD = 4;
/**
 * Child executions that may fail (a Lambda crash past its retries, not a project's failure, which the child records) with
 * the run still completing, their projects counted as not synced: a token GitHub refuses fails every child, and the run.
 */
const TOLERATED_FAILED_CHILDREN_PERCENT = 10;
/** The Distributed Map's label: its child executions are named `<label>:<id>`. */
const CHILD_LABEL = 'DailySync';

/**
 * The daily job: check the token and list the projects, then hand them in ranges to Express child executions of a
 * Distributed Map, in which each project (github.pacing.concurrentSyncs at once, paced under GitHub's points a
 * minute, stopping at each budget's reserve) syncs in chunks, waiting out a rate-limit reset that falls inside the
 * child's time, and computes its snapshot; each project's outcome is written on it, and Summarize Sync sums them from
 * the table; then old sync events are cleaned up. One project's failure is recorded (with its failure streak) and never
 * fails the others; a refused token fails the run, and so does a run in which every project failed.
 */
export class DailySync extends Construct {
  readonly job: ScheduledJob;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DailySyncProps) {
    super(scope, id);
    const { tables } = props;
    const token = secretsmanager.Secret.fromSecretNameV2(this, 'GitHubToken', props.tokenSecretName);
    const { app } = props;
    const github = {
      [ENV.githubApiUrl]: props.githubApiUrl,
      [ENV.githubTokenSecret]: props.tokenSecretName,
      ...(app && {
        [ENV.githubAppId]: String(app.appId),
        [ENV.githubAppPrivateKeySecret]: app.privateKeySecretName,
        ...(app.installationIds && { [ENV.githubAppInstallationIds]: JSON.stringify(app.installationIds) }),
      }),
    };
    const rules = { [ENV.bugRules]: JSON.stringify(props.bugRules) };
    const pacing = props.pacing ?? { pointsPerMinute: GITHUB_POINTS_PER_MINUTE, concurrentSyncs: 5 };
    const projectsAtOnceInAChild = Math.max(1, Math.floor(pacing.concurrentSyncs / CHILDREN_AT_ONCE));
    // Each sync's pace, for as many syncs at once as the children run together: all of them stay under pointsPerMinute.
    const rateBudget = {
      reservePercent: props.rateLimitReserve ?? 10,
      pacingIntervalMs: pacingIntervalMs(pacing.pointsPerMinute, CHILDREN_AT_ONCE * projectsAtOnceInAChild),
    };
    const eventSettings = { [ENV.logRetentionDays]: String(props.logRetentionDays) };

    const listProjects = new JobFunction(this, 'ListProjects', {
      entry: 'lambdas/daily/list-projects.ts',
      description: 'Checks the GitHub token and lists the active projects',
      environment: {
        ...github,
        [ENV.jobTimeoutSeconds]: String(props.schedule.timeout.toSeconds()),
        ...(props.discovery
          ? {
              [ENV.githubOrg]: props.discovery.org,
              [ENV.githubActiveWithinDays]: String(props.discovery.activeWithinDays),
              ...eventSettings,
            }
          : {}),
      },
    })
      .bindTable(tables.projects, props.discovery ? ['Query', 'PutItem', 'UpdateItem'] : ['Query'], ENV.projectsTable)
      // The daily job's latest scheduled time (`evaluated#daily`), claimed with one conditional put.
      .bindTable(tables.alerts, ['PutItem', 'GetItem'], ENV.alertsTable);
    // Org discovery says which projects it deactivated (archived or deleted repositories), and why.
    if (props.discovery) listProjects.bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const syncProject = new JobFunction(this, 'SyncProject', {
      entry: 'lambdas/daily/sync-project.ts',
      description: "Syncs the next chunk of a project's issues and pull requests",
      timeout: Duration.minutes(5),
      environment: {
        ...github,
        ...rules,
        ...eventSettings,
        [ENV.alertRules]: JSON.stringify(props.alertRules),
        [ENV.githubRateBudget]: JSON.stringify(rateBudget),
      },
    })
      .bindTable(tables.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      // Query and UpdateItem: the hourly aggregate (item 0) begun, ended and rebuilt around the project's writes.
      .bindTable(tables.workItems, ['BatchGetItem', 'PutItem', 'BatchWriteItem', 'UpdateItem', 'Query'], ENV.workItemsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const computeMetrics = new JobFunction(this, 'ComputeProjectMetrics', {
      entry: 'lambdas/daily/compute-project-metrics.ts',
      description: "Computes a project's daily snapshot and health score",
      timeout: Duration.minutes(2),
      environment: { ...rules, ...eventSettings },
    })
      .bindTable(tables.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(tables.workItems, ['Query'], ENV.workItemsTable)
      .bindTable(tables.snapshots, ['PutItem'], ENV.snapshotsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const recordFailure = new JobFunction(this, 'RecordProjectFailure', {
      entry: 'lambdas/daily/record-project-failure.ts',
      description: "Records one project's sync failure and its failure streak",
      timeout: Duration.seconds(20),
      environment: eventSettings,
    })
      .bindTable(tables.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    // A child started after the run's deadline records its projects deferred, unless the run was closed: a redrive.
    const listBatchProjects = props.engine.readRuns(
      new JobFunction(this, 'ListBatchProjects', {
        entry: 'lambdas/daily/list-batch-projects.ts',
        description: "Lists a child execution's projects: the active ones in its ranges of project ids",
        timeout: Duration.seconds(20),
      }).bindTable(tables.projects, ['Query', 'UpdateItem'], ENV.projectsTable),
    );
    const summarize = new JobFunction(this, 'SummarizeSync', {
      entry: 'lambdas/daily/summarize-sync.ts',
      description: "Sums the projects' sync outcomes of the run, read from the projects; fails it when every project failed",
      timeout: Duration.minutes(1),
    }).bindTable(tables.projects, ['Query'], ENV.projectsTable);
    const cleanUpLogs = new JobFunction(this, 'CleanUpLogs', {
      entry: 'lambdas/daily/clean-up-logs.ts',
      description: 'Deletes SyncEvents older than the log retention period',
      timeout: Duration.minutes(5),
      environment: eventSettings,
    }).bindTable(tables.syncEvents, ['Query', 'BatchWriteItem', 'PutItem'], ENV.syncEventsTable);
    for (const fn of [listProjects, syncProject]) token.grantRead(fn);
    if (app) {
      const appKey = secretsmanager.Secret.fromSecretNameV2(this, 'GitHubAppPrivateKey', app.privateKeySecretName);
      for (const fn of [listProjects, syncProject]) appKey.grantRead(fn);
    }

    this.job = new ScheduledJob(this, 'Job', {
      ...props.schedule,
      jobType: JOB_NAMES.daily,
      engine: props.engine,
      work: (run) => {
        const list = run
          .invoke('List Projects', listProjects, {
            // The run id only labels its log lines and trace; the projects to list come from the start time.
            payload: {
              runId: sfn.JsonPath.stringAt('$.run.runId'),
              executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
              scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            },
            resultSelector: {
              'batches.$': '$.Payload.batches',
              'projectCount.$': '$.Payload.projectCount',
              'runDeadline.$': '$.Payload.runDeadline',
              'replayOf.$': '$.Payload.replayOf',
            },
            resultPath: '$.sync',
          })
          .addCatch(run.recordFailure, ANY_ERROR);

        // One project's iteration: sync its chunks (waiting out a rate-limit reset), then compute its snapshot.
        const projectFailed = run.invoke('Record Project Failure', recordFailure, {
          payload: {
            runId: sfn.JsonPath.stringAt('$.runId'),
            projectId: sfn.JsonPath.stringAt('$.projectId'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            error: sfn.JsonPath.objectAt('$.error'),
            replayOf: sfn.JsonPath.stringAt('$.replayOf'),
          },
          resultPath: sfn.JsonPath.DISCARD,
        });
        // A token GitHub refuses, or a token secret that cannot be read, is no project's failure: every other
        // project would fail on it too. Failing the iteration fails the child execution (its other iterations are
        // stopped), and Sync Project recorded the error on the project for the parent to fail the run with.
        const tokenUnusable = new sfn.Fail(this, 'Token Unusable', {
          comment:
            'GitHub refused the token (AuthError) or its secret cannot be read (ConfigError): the run fails; what was synced before stays',
          errorPath: '$.error.Error',
          causePath: '$.error.Cause',
        });
        const sync = run
          .invoke('Sync Project', syncProject, {
            payload: {
              runId: sfn.JsonPath.stringAt('$.runId'),
              projectId: sfn.JsonPath.stringAt('$.projectId'),
              runDeadline: sfn.JsonPath.stringAt('$.runDeadline'),
              totals: sfn.JsonPath.objectAt('$.sync.chunk.totals'),
            },
            resultSelector: { 'chunk.$': '$.Payload' },
            resultPath: '$.sync',
          })
          .addCatch(tokenUnusable, { errors: ['AuthError', 'ConfigError'], resultPath: '$.error' })
          .addCatch(projectFailed, ANY_ERROR);
        const metrics = run
          .invoke('Compute Project Metrics', computeMetrics, {
            payload: {
              runId: sfn.JsonPath.stringAt('$.runId'),
              projectId: sfn.JsonPath.stringAt('$.projectId'),
              scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
              syncStatus: sfn.JsonPath.stringAt('$.sync.chunk.status'),
              deferredFor: sfn.JsonPath.stringAt('$.sync.chunk.deferredFor'),
              recordsProcessed: sfn.JsonPath.numberAt('$.sync.chunk.totals.written'),
              budgets: sfn.JsonPath.objectAt('$.sync.chunk.totals.budgets'),
            },
            // The outcome is on the project (Summarize Sync reads it there): no iteration result grows the child's output.
            resultPath: sfn.JsonPath.DISCARD,
          })
          .addCatch(projectFailed, ANY_ERROR);
        // A replay syncs nothing: the stored items, sync cursors and ETags belong to the later run.
        const keepStoredItems = new sfn.Pass(this, 'Keep Stored Items', {
          comment: 'A replay of an earlier day: its snapshot is computed from what is stored, as of its own time',
          result: sfn.Result.fromObject({ status: 'skipped', deferredFor: null, totals: { ...ZERO_TOTALS, budgets: {} } }),
          resultPath: '$.sync.chunk',
        }).next(metrics);
        const syncLoop = sync.next(
          new sfn.Choice(this, 'More to Sync?')
            .when(sfn.Condition.stringEquals('$.sync.chunk.status', 'more'), sync)
            .when(
              sfn.Condition.stringEquals('$.sync.chunk.status', 'wait'),
              new sfn.Wait(this, 'Wait for Rate Limit Reset', { time: sfn.WaitTime.timestampPath('$.sync.chunk.resumeAt') }).next(sync),
            )
            .otherwise(metrics),
        );
        // IsNull rather than IsNotNull: aws-local-stepfunctions reads `IsNull: false` as never matching.
        const iteration = new sfn.Choice(this, 'Replay?').when(sfn.Condition.isNull('$.replayOf'), syncLoop).otherwise(keepStoredItems);
        // One child execution: the projects of its ranges, synced by the child's deadline, `projectsAtOnceInAChild` at once.
        const batchProjects = run.invoke('List Batch Projects', listBatchProjects, {
          payload: {
            ranges: sfn.JsonPath.listAt('$.Items'),
            // A redriven child leaves out the projects this run already synced: only what failed runs again.
            runId: sfn.JsonPath.stringAt('$.BatchInput.runId'),
            runDeadline: sfn.JsonPath.stringAt('$.BatchInput.runDeadline'),
            childStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
          },
          resultSelector: { 'projectIds.$': '$.Payload.projectIds', 'runDeadline.$': '$.Payload.runDeadline' },
          resultPath: '$.batch',
        });
        const syncBatch = new sfn.Map(this, 'Sync Batch Projects', {
          itemsPath: '$.batch.projectIds',
          maxConcurrency: projectsAtOnceInAChild,
          itemSelector: {
            projectId: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
            runId: sfn.JsonPath.stringAt('$.BatchInput.runId'),
            runDeadline: sfn.JsonPath.stringAt('$.batch.runDeadline'),
            scheduledTime: sfn.JsonPath.stringAt('$.BatchInput.scheduledTime'),
            replayOf: sfn.JsonPath.stringAt('$.BatchInput.replayOf'),
            sync: { chunk: { status: 'start', totals: ZERO_TOTALS } },
          },
          resultPath: sfn.JsonPath.DISCARD,
        }).itemProcessor(iteration);
        // A child's output is one of the parent's Map results: a count, whatever the child synced.
        const batchSynced = new sfn.Pass(this, 'Batch Synced', {
          parameters: { 'projects.$': 'States.ArrayLength($.batch.projectIds)' },
        });
        // Each child execution keeps its own payloads, and the parent's history and payloads grow with neither the
        // projects nor their results. Children are Express: billed by duration rather than ~5 state transitions a
        // project, at most 5 minutes each (a child ends its syncing after CHILD_SYNC_BUDGET_MS), at least once (a
        // project's sync is idempotent: cursors, ETags and conditional writes); redriving the parent reruns the failed
        // children (StartExecution). https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html,
        // https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html,
        // https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html
        const syncEach = new sfn.DistributedMap(this, 'Sync Each Project', {
          itemsPath: '$.sync.batches',
          itemBatcher: new sfn.ItemBatcher({
            maxItemsPerBatch: RANGES_PER_CHILD,
            // CDK writes batchInput as given: paths need their `.$` keys spelled out.
            batchInput: {
              'runId.$': '$.run.runId',
              'runDeadline.$': '$.sync.runDeadline',
              'scheduledTime.$': '$.scheduledTime',
              'replayOf.$': '$.sync.replayOf',
            },
          }),
          mapExecutionType: sfn.StateMachineType.EXPRESS,
          maxConcurrency: CHILDREN_AT_ONCE,
          toleratedFailurePercentage: TOLERATED_FAILED_CHILDREN_PERCENT,
          label: CHILD_LABEL,
          resultPath: sfn.JsonPath.DISCARD,
        }).itemProcessor(batchProjects.next(syncBatch).next(batchSynced));
        // No Catch: a Map Run that failed (more children than tolerated) fails the execution at this state, where a
        // redrive of the parent starts again, rerunning only its failed and unstarted children. Caught, the execution
        // would end at Run Failed and a redrive would restart there, running nothing. The reconciler closes the run,
        // with the token error a project recorded when GitHub refused the token.

        const summarizeSync = run
          .step('Summarize Sync', summarize, {
            resultKey: 'sync',
            payload: { projectCount: sfn.JsonPath.numberAt('$.sync.projectCount'), replayOf: sfn.JsonPath.stringAt('$.sync.replayOf') },
            timeout: Duration.minutes(2),
          })
          .addCatch(run.recordFailure, ANY_ERROR);
        const cleanUp = run
          .step('Clean Up Old Logs', cleanUpLogs, { resultKey: 'cleanup', timeout: Duration.minutes(6) })
          .addCatch(run.recordFailure, ANY_ERROR);
        return list.next(syncEach).next(summarizeSync).next(cleanUp);
      },
    });
    acknowledgeChildExecutions(this.job.stateMachine, CHILD_LABEL);
    this.alarms = watchedJobAlarms(this, this.job, props.alarms);
  }
}

/**
 * The Distributed Map's policy lets the state machine run, describe and stop its own child executions, which exist only
 * once started: their ARNs end in a wildcard under the state machine's name.
 */
function acknowledgeChildExecutions(stateMachine: sfn.StateMachine, label: string): void {
  const stack = Stack.of(stateMachine);
  const logicalId = stack.resolve(stack.getLogicalId(stateMachine.node.defaultChild as CfnElement));
  const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}`;
  const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}`;
  const policy = stateMachine.node.findChild('DistributedMapPolicy');
  for (const children of [`${executions}:*`, `${executions}/${label}:*`]) {
    acknowledgeNag(policy, `IAM5[Resource::${children}]`, "The Distributed Map's child executions of this state machine only");
  }
}
