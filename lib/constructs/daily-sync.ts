import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GitHubAppSettings } from '../../shared/config.ts';
import type { BugRules } from '../../shared/domain/bugs.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
import { ZERO_TOTALS } from '../../shared/domain/sync-totals.ts';
import { ENV } from '../../shared/environment.ts';
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
  readonly logRetentionDays: number;
  /** Discover the org's active repositories as projects on each run. */
  readonly discovery?: { readonly org: string; readonly activeWithinDays: number };
}

/** Projects synced at once: GitHub's secondary limits punish bursts, and one token serves them all. */
const MAX_CONCURRENT_PROJECTS = 5;

/**
 * The daily job: check the token and list the projects, then for each project (at most 5 at once) sync
 * in chunks, waiting out a rate-limit reset that falls inside the run, and compute its snapshot; sum the
 * projects' outcomes, then clean up old sync events. One project's failure is recorded (with its failure
 * streak) and never fails the others; a refused token fails the run, and so does a run in which every
 * project failed.
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
      environment: { ...github, ...rules, ...eventSettings },
    })
      .bindTable(tables.projects, ['GetItem', 'UpdateItem'], ENV.projectsTable)
      .bindTable(tables.workItems, ['BatchGetItem', 'PutItem', 'BatchWriteItem'], ENV.workItemsTable)
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
    const summarize = new JobFunction(this, 'SummarizeSync', {
      entry: 'lambdas/daily/summarize-sync.ts',
      description: "Sums the projects' sync outcomes for the run; fails it when every project failed",
      timeout: Duration.seconds(20),
    });
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
              'projectIds.$': '$.Payload.projectIds',
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
          outputPath: '$.Payload',
        });
        // A token GitHub refuses, or a token secret that cannot be read, is no project's failure: every other
        // project would fail on it too. Failing the iteration fails the Map (its other iterations are
        // stopped) and so the run, through Record Failure.
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
            },
            resultSelector: { 'healthScore.$': '$.Payload.healthScore' },
            resultPath: '$.metrics',
          })
          .addCatch(projectFailed, ANY_ERROR)
          .next(
            new sfn.Pass(this, 'Project Synced', {
              parameters: {
                projectId: sfn.JsonPath.stringAt('$.projectId'),
                recordsProcessed: sfn.JsonPath.numberAt('$.sync.chunk.totals.written'),
                recordsFailed: 0,
                healthScore: sfn.JsonPath.numberAt('$.metrics.healthScore'),
              },
            }),
          );
        // A replay syncs nothing: the stored items, sync cursors and ETags belong to the later run.
        const keepStoredItems = new sfn.Pass(this, 'Keep Stored Items', {
          comment: 'A replay of an earlier day: its snapshot is computed from what is stored, as of its own time',
          result: sfn.Result.fromObject({ status: 'skipped', totals: ZERO_TOTALS }),
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
        const syncEach = new sfn.Map(this, 'Sync Each Project', {
          itemsPath: '$.sync.projectIds',
          maxConcurrency: MAX_CONCURRENT_PROJECTS,
          itemSelector: {
            projectId: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
            runId: sfn.JsonPath.stringAt('$.run.runId'),
            runDeadline: sfn.JsonPath.stringAt('$.sync.runDeadline'),
            scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
            replayOf: sfn.JsonPath.stringAt('$.sync.replayOf'),
            sync: { chunk: { status: 'start', totals: ZERO_TOTALS } },
          },
          resultPath: '$.sync.projects',
        })
          .itemProcessor(iteration)
          .addCatch(run.recordFailure, ANY_ERROR);

        const summarizeSync = run
          .step('Summarize Sync', summarize, {
            resultKey: 'sync',
            payload: { projects: sfn.JsonPath.listAt('$.sync.projects'), replayOf: sfn.JsonPath.stringAt('$.sync.replayOf') },
          })
          .addCatch(run.recordFailure, ANY_ERROR);
        const cleanUp = run
          .step('Clean Up Old Logs', cleanUpLogs, { resultKey: 'cleanup', timeout: Duration.minutes(6) })
          .addCatch(run.recordFailure, ANY_ERROR);
        return list.next(syncEach).next(summarizeSync).next(cleanUp);
      },
    });
    this.alarms = watchedJobAlarms(this, this.job, props.alarms);
  }
}
