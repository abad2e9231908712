import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { BugRules } from '../../shared/domain/bugs.ts';
import { ENV } from '../../shared/environment.ts';
import { ZERO_TOTALS } from '../../shared/domain/sync-totals.ts';
import { JobFunction } from './job-function.ts';
import { retryTransient } from './retry-transient.ts';
import type { WorkStep } from './scheduled-job.ts';

export interface ProjectSyncProps {
  readonly projects: dynamodb.ITable;
  readonly workItems: dynamodb.ITable;
  readonly snapshots: dynamodb.ITable;
  readonly syncEvents: dynamodb.ITable;
  readonly githubApiUrl: string;
  /** Secrets Manager secret holding the GitHub token. */
  readonly tokenSecretName: string;
  readonly bugRules: BugRules;
  readonly jobTimeout: Duration;
  readonly logRetentionDays: number;
  /** Discover the org's active repositories as projects on each run. */
  readonly discovery?: { readonly org: string; readonly activeWithinDays: number };
}

/** Projects synced at once: GitHub's secondary limits punish bursts, and one token serves them all. */
export const MAX_CONCURRENT_PROJECTS = 5;

/**
 * The daily job's GitHub sync: check the token and list the projects, then for each project (at most 5
 * at once) sync in chunks, waiting out a rate-limit reset that falls inside the run, and compute its
 * snapshot. One project's failure is recorded (with its failure streak) and never fails the others; a
 * refused token fails the run, and so does a run in which every project failed.
 */
export class ProjectSync extends Construct {
  /** The step that sums the projects' outcomes into the run's results, preceded by the sync itself. */
  readonly step: WorkStep;

  constructor(scope: Construct, id: string, props: ProjectSyncProps) {
    super(scope, id);
    const token = secretsmanager.Secret.fromSecretNameV2(this, 'GitHubToken', props.tokenSecretName);
    const github = { [ENV.githubApiUrl]: props.githubApiUrl, [ENV.githubTokenSecret]: props.tokenSecretName };
    const rules = { [ENV.bugRules]: JSON.stringify(props.bugRules) };
    const eventSettings = { [ENV.logRetentionDays]: String(props.logRetentionDays) };

    const listProjects = new JobFunction(this, 'ListProjects', {
      entry: 'lambdas/daily/list-projects.ts',
      description: 'Checks the GitHub token and lists the active projects',
      environment: {
        ...github,
        [ENV.jobTimeoutSeconds]: String(props.jobTimeout.toSeconds()),
        ...(props.discovery
          ? { [ENV.githubOrg]: props.discovery.org, [ENV.githubActiveWithinDays]: String(props.discovery.activeWithinDays) }
          : {}),
      },
    }).bindTable(props.projects, props.discovery ? ['Query', 'PutItem', 'UpdateItem'] : ['Query'], ENV.projectsTable);
    const syncProject = new JobFunction(this, 'SyncProject', {
      entry: 'lambdas/daily/sync-project.ts',
      description: "Syncs the next chunk of a project's issues and pull requests",
      timeout: Duration.minutes(5),
      environment: { ...github, ...rules, ...eventSettings },
    })
      .bindTable(props.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(props.workItems, ['BatchGetItem', 'PutItem', 'BatchWriteItem'], ENV.workItemsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const computeMetrics = new JobFunction(this, 'ComputeProjectMetrics', {
      entry: 'lambdas/daily/compute-project-metrics.ts',
      description: "Computes a project's daily snapshot and health score",
      timeout: Duration.minutes(2),
      environment: rules,
    })
      .bindTable(props.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(props.workItems, ['Query'], ENV.workItemsTable)
      .bindTable(props.snapshots, ['PutItem'], ENV.snapshotsTable);
    const recordFailure = new JobFunction(this, 'RecordProjectFailure', {
      entry: 'lambdas/daily/record-project-failure.ts',
      description: "Records one project's sync failure and its failure streak",
      timeout: Duration.seconds(20),
      environment: eventSettings,
    })
      .bindTable(props.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(props.syncEvents, ['PutItem'], ENV.syncEventsTable);
    const summarize = new JobFunction(this, 'SummarizeSync', {
      entry: 'lambdas/daily/summarize-sync.ts',
      description: "Sums the projects' sync outcomes for the run; fails it when every project failed",
      timeout: Duration.seconds(20),
    });
    for (const fn of [listProjects, syncProject]) token.grantRead(fn);

    this.step = {
      stateName: 'Summarize Sync',
      resultKey: 'sync',
      handler: summarize,
      payload: { projects: sfn.JsonPath.listAt('$.sync.projects') },
      beforeInvokes: [listProjects, syncProject, computeMetrics, recordFailure],
      before: (chainScope, onError) => {
        const invoke = (name: string, fn: JobFunction, payload: Record<string, unknown>, options: Partial<tasks.LambdaInvokeProps>) =>
          retryTransient(
            new tasks.LambdaInvoke(chainScope, name, {
              lambdaFunction: fn,
              payload: sfn.TaskInput.fromObject(payload),
              retryOnServiceExceptions: false,
              taskTimeout: sfn.Timeout.duration((fn.timeout ?? Duration.minutes(1)).plus(Duration.seconds(30))),
              ...options,
            }),
          );
        const projectFailed = invoke(
          'Record Project Failure',
          recordFailure,
          {
            runId: sfn.JsonPath.stringAt('$.runId'),
            projectId: sfn.JsonPath.stringAt('$.projectId'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            error: sfn.JsonPath.objectAt('$.error'),
          },
          { outputPath: '$.Payload' },
        );
        // A token GitHub refuses, or a token secret that cannot be read, is no project's failure: every other
        // project would fail on it too. Failing the iteration fails the Map (its other iterations are
        // stopped) and so the run, through Record Failure.
        const tokenUnusable = new sfn.Fail(chainScope, 'Token Unusable', {
          comment: 'GitHub refused the token (AuthError) or its secret cannot be read (ConfigError): the run fails; what was synced before stays',
          errorPath: '$.error.Error',
          causePath: '$.error.Cause',
        });
        const sync = invoke(
          'Sync Project',
          syncProject,
          {
            runId: sfn.JsonPath.stringAt('$.runId'),
            projectId: sfn.JsonPath.stringAt('$.projectId'),
            runDeadline: sfn.JsonPath.stringAt('$.runDeadline'),
            totals: sfn.JsonPath.objectAt('$.sync.chunk.totals'),
          },
          { resultSelector: { 'chunk.$': '$.Payload' }, resultPath: '$.sync' },
        )
          .addCatch(tokenUnusable, { errors: ['AuthError', 'ConfigError'], resultPath: '$.error' })
          .addCatch(projectFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
        const metrics = invoke(
          'Compute Project Metrics',
          computeMetrics,
          {
            runId: sfn.JsonPath.stringAt('$.runId'),
            projectId: sfn.JsonPath.stringAt('$.projectId'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            syncStatus: sfn.JsonPath.stringAt('$.sync.chunk.status'),
          },
          { resultPath: sfn.JsonPath.DISCARD },
        )
          .addCatch(projectFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
          .next(
            new sfn.Pass(chainScope, 'Project Synced', {
              parameters: {
                projectId: sfn.JsonPath.stringAt('$.projectId'),
                recordsProcessed: sfn.JsonPath.numberAt('$.sync.chunk.totals.written'),
                recordsFailed: 0,
              },
            }),
          );
        const iteration = sync.next(
          new sfn.Choice(chainScope, 'More to Sync?')
            .when(sfn.Condition.stringEquals('$.sync.chunk.status', 'more'), sync)
            .when(
              sfn.Condition.stringEquals('$.sync.chunk.status', 'wait'),
              new sfn.Wait(chainScope, 'Wait for Rate Limit Reset', { time: sfn.WaitTime.timestampPath('$.sync.chunk.resumeAt') }).next(sync),
            )
            .otherwise(metrics),
        );

        const each = new sfn.Map(chainScope, 'Sync Each Project', {
          itemsPath: '$.sync.projectIds',
          maxConcurrency: MAX_CONCURRENT_PROJECTS,
          itemSelector: {
            projectId: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
            runId: sfn.JsonPath.stringAt('$.run.runId'),
            runDeadline: sfn.JsonPath.stringAt('$.sync.runDeadline'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            sync: { chunk: { status: 'start', totals: ZERO_TOTALS } },
          },
          resultPath: '$.sync.projects',
        });
        each.itemProcessor(iteration);
        each.addCatch(onError, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

        return sfn.Chain.start(
          invoke(
            'List Projects',
            listProjects,
            { executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
            { resultSelector: { 'projectIds.$': '$.Payload.projectIds', 'runDeadline.$': '$.Payload.runDeadline' }, resultPath: '$.sync' },
          ).addCatch(onError, { errors: [sfn.Errors.ALL], resultPath: '$.error' }),
        ).next(each);
      },
    };
  }
}
