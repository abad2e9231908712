import * as fs from 'node:fs';
import * as path from 'node:path';
import aslValidator from 'asl-validator';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { type CfnTemplate, readLocalStack } from '../../lib/local/template.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { RECOVERABLE_ERROR_NAMES } from '../../shared/errors.ts';
import { buildTestApp } from '../support/synth.ts';

const { app, stack } = buildTestApp();
const template = Template.fromStack(stack);
const local = readLocalStack(template.toJSON() as CfnTemplate);

/** cdk.json's configuration, to vary one key of. */
const baseConfig = () => readCdkContext(PROJECT_ROOT).ctoJobs as Record<string, unknown>;
function synthesized(config: Record<string, unknown>) {
  const other = Template.fromStack(buildTestApp({ ctoJobs: config }).stack);
  return { template: other, local: readLocalStack(other.toJSON() as CfnTemplate) };
}

type State = {
  Type: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  TimeoutSeconds?: number;
  Next?: string;
};
const definitionOf = (jobType: 'daily_sync' | 'hourly_metrics' | 'weekly_report') =>
  local.stateMachines.get(jobType)!.definition as { States: Record<string, State>; TimeoutSeconds: number; StartAt: string };

/** Every IAM statement attached to a role of the template. */
function statementsOf(roleLogicalId: string, from = template): { Action: string | string[]; Resource: unknown }[] {
  return Object.values(from.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The logical id of a function's role (the function named by its construct id prefix). */
function roleOf(name: string, from = { template, local }): string {
  const functionId = [...from.local.functions.keys()].find((id) => id.startsWith(name))!;
  return from.template.findResources('AWS::Lambda::Function')[functionId]!.Properties.Role['Fn::GetAtt'][0];
}

/** The DynamoDB actions granted to a function, by table. */
function dynamoGrantsOf(name: string, from = { template, local }): Record<string, string[]> {
  const granted: Record<string, string[]> = {};
  for (const statement of statementsOf(roleOf(name, from), from.template)) {
    const actions = [statement.Action].flat().filter((action) => action.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    const table = JSON.stringify(statement.Resource).match(/Tables(JobHistory|SyncEvents|Projects|WorkItems|Snapshots|Alerts)/)![1]!;
    granted[table] = [...(granted[table] ?? []), ...actions.map((action) => action.replace('dynamodb:', ''))].sort();
  }
  return granted;
}

describe('schedules', () => {
  it.each([
    ['daily_sync', 'cron(0 2 * * ? *)'],
    ['hourly_metrics', 'cron(0 * * * ? *)'],
    ['weekly_report', 'cron(0 9 ? * MON *)'],
  ])('starts %s at %s UTC with a retry policy, a dead-letter queue and the scheduled time as input', (jobType, cron) => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: cron,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { Ref: local.stateMachines.get(jobType as 'daily_sync')!.logicalId },
        Input: JSON.stringify({ jobType, trigger: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScheduleDeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  it('lets each schedule role start only its own state machine', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    for (const schedule of Object.values(schedules)) {
      const target = schedule.Properties.Target;
      const roleId = target.RoleArn['Fn::GetAtt'][0] as string;
      const starts = statementsOf(roleId).filter((statement) => [statement.Action].flat().includes('states:StartExecution'));
      expect(starts.length).toBeGreaterThan(0);
      for (const statement of starts) {
        expect([statement.Resource].flat()).toEqual([target.Arn]);
      }
    }
  });
});

describe('state machines', () => {
  it('are Standard, time out after 9 minutes, trace with X-Ray and log to /aws/vendedlogs/states', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    for (const jobType of ['daily_sync', 'hourly_metrics', 'weekly_report'] as const) {
      expect(definitionOf(jobType).TimeoutSeconds).toBe(540);
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/vendedlogs/states/CtoDashboardJobs-${jobType}` });
    }
  });

  it('pass asl-validator', () => {
    for (const machine of local.stateMachines.values()) {
      const result = aslValidator(machine.definition, { checkPaths: true, checkArn: true });
      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('start with Start Run and branch on duplicate and skipped deliveries', () => {
    const definition = definitionOf('daily_sync');
    expect(definition.StartAt).toBe('Start Run');
    expect(definition.States['Start Run']!.Next).toBe('Run or Skip?');
    expect(definition.States['Duplicate Delivery Ignored']!.Type).toBe('Succeed');
    expect(definition.States['Skipped: Already Running']!.Type).toBe('Succeed');
  });

  it('retry every task on transient errors only (3 attempts, full jitter) and catch work errors into Record Failure', () => {
    for (const jobType of ['daily_sync', 'hourly_metrics', 'weekly_report'] as const) {
      const states = Object.entries(definitionOf(jobType).States).filter(([, state]) => state.Type === 'Task');
      for (const [name, state] of states) {
        expect(state.Retry, name).toHaveLength(1);
        const [retrier] = state.Retry!;
        expect(retrier).toMatchObject({ MaxAttempts: 2, BackoffRate: 2, JitterStrategy: 'FULL' });
        expect(retrier!.ErrorEquals).toEqual(
          expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', ...RECOVERABLE_ERROR_NAMES]),
        );
        expect(retrier!.ErrorEquals).not.toContain('ConfigError');
        expect(retrier!.ErrorEquals).not.toContain('States.ALL');
        expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      }
    }
    const cleanup = definitionOf('daily_sync').States['Clean Up Old Logs']!;
    expect(cleanup.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Failure' }]);
    expect(definitionOf('daily_sync').States['Record Failure']!.Next).toBe('Run Failed');
    expect(definitionOf('daily_sync').States['Run Failed']!.Type).toBe('Fail');
  });
});

describe('the daily sync', () => {
  it('fans the projects out in a Distributed Map: one child at a time, each an Express execution of 100 projects', () => {
    const states = definitionOf('daily_sync').States as Record<string, State & Record<string, unknown>>;
    const batches = states['Sync Each Project']!;
    expect(batches).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.sync.batches',
      MaxConcurrency: 1,
      Label: 'DailySync',
      ToleratedFailurePercentage: 10,
      // No result per child or project in the parent's state: the outcomes are on the projects.
      ResultPath: null,
      ItemBatcher: {
        MaxItemsPerBatch: 4,
        BatchInput: {
          'runId.$': '$.run.runId',
          'runDeadline.$': '$.sync.runDeadline',
          'scheduledTime.$': '$.scheduledTime',
          'replayOf.$': '$.sync.replayOf',
        },
      },
    });
    const child = batches.ItemProcessor as { ProcessorConfig: unknown; StartAt: string; States: Record<string, State> };
    // Express: billed by duration, not ~5 state transitions a project; at most 5 minutes, which a child's deadline keeps.
    expect(child.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(child.StartAt).toBe('List Batch Projects');
    expect(child.States['Sync Batch Projects']!.Next).toBe('Batch Synced');
    // Uncaught: a failed Map Run fails the execution here, where a redrive restarts it (the reconciler closes the run).
    expect(batches.Catch).toBeUndefined();
    expect(states['List Projects']!.Catch?.[0]?.Next).toBe('Record Failure');
    expect(states['List Projects']!.Next).toBe('Sync Each Project');
    expect(states['Sync Each Project']!.Next).toBe('Summarize Sync');
  });

  it("syncs a child's projects in a Map of at most 5, each isolated by its own Catch but a refused token, waiting for rate-limit resets", () => {
    const batches = definitionOf('daily_sync').States['Sync Each Project'] as State & Record<string, unknown>;
    const child = (batches.ItemProcessor as { States: Record<string, State & Record<string, unknown>> }).States;
    const map = child['Sync Batch Projects']!;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 5, ItemsPath: '$.batch.projectIds', ResultPath: null });
    const inner = (map.ItemProcessor as { States: Record<string, State & Record<string, unknown>> }).States;
    const isolated = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Project Failure' };
    expect(inner['Sync Project']!.Catch).toEqual([
      { ErrorEquals: ['AuthError', 'ConfigError'], ResultPath: '$.error', Next: 'Token Unusable' },
      isolated,
    ]);
    expect(inner['Compute Project Metrics']!.Catch).toEqual([isolated]);
    // A refused or unreadable token fails the iteration, so the child, so the Map Run, so the run.
    expect(inner['Token Unusable']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    expect(map.Catch).toBeUndefined();
    expect(inner['Wait for Rate Limit Reset']).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.sync.chunk.resumeAt',
      Next: 'Sync Project',
    });
  });

  it('paces every project sync for all those running at once, and keeps 10% of each GitHub budget for others', () => {
    const [syncProject] = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      JSON.stringify(fn.Properties.Environment ?? {}).includes('GITHUB_RATE_BUDGET'),
    );
    // 1 child at a time x 5 projects in it = 5 syncs sharing 900 points a minute: 60 s x 5 / (900 - 5), rounded up.
    expect(JSON.parse(syncProject!.Properties.Environment.Variables.GITHUB_RATE_BUDGET)).toEqual({
      reservePercent: 10,
      pacingIntervalMs: 336,
    });
    expect(syncProject!.Properties.Description).toBe("Syncs the next chunk of a project's issues and pull requests");
  });

  it('lets the state machine start, describe and stop only its own child executions', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.includes('DistributedMapPolicy'));
    expect(policies).toHaveLength(1);
    const statements = JSON.stringify(policies[0]![1].Properties.PolicyDocument);
    expect(statements).toContain('states:StartExecution');
    expect(statements).toMatch(/:execution:.*DailySync:\*/);
  });

  it('lets only the functions that call GitHub read the token secret', () => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'))
      .map(([id]) => id);
    expect(readers.sort()).toEqual([
      expect.stringMatching(/^DailySyncListProjectsRole/),
      expect.stringMatching(/^DailySyncSyncProjectRole/),
    ]);
  });
});

describe("the operators' dashboard", () => {
  it('is deployed only when `dashboard` is set, since it costs $3.00 a month', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    synthesized({ ...baseConfig(), dashboard: true }).template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('the hourly job', () => {
  it('sweeps stuck runs, watches the job runs, computes the metrics, then sends the alerts; any failure goes to Record Failure', () => {
    const states = definitionOf('hourly_metrics').States;
    expect(states['Sweep Stuck Runs']!.Next).toBe('Watch Job Runs');
    expect(states['Watch Job Runs']!.Next).toBe('Compute Hourly Metrics');
    expect(states['Compute Hourly Metrics']!.Next).toBe('Send Alerts');
    expect(states['Send Alerts']!.Next).toBe('Record Success');
    for (const name of ['Watch Job Runs', 'Compute Hourly Metrics', 'Send Alerts'])
      expect(states[name]!.Catch?.[0]?.Next).toBe('Record Failure');
  });

  it('pages through an on-call topic that is KMS-encrypted, TLS-only, usable by CloudWatch alarms, and emailed when configured', () => {
    const { template: withEmail } = synthesized({ ...baseConfig(), alarmEmail: 'oncall@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    withEmail.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('lets Send Alerts email only from the configured sender, and read the Slack webhook secret only when one is set', () => {
    const { template: configured, local: configuredLocal } = synthesized({
      ...baseConfig(),
      report: { recipients: [], sender: 'reports@example.com' },
      alerts: { emailRecipients: ['cto@example.com'], slackWebhookSecretName: 'cto/slack-webhook' },
    });
    const sendId = [...configuredLocal.functions.keys()].find((id) => id.startsWith('HourlyMetricsSendAlerts'))!;
    expect(configuredLocal.functions.get(sendId)!.environment).toMatchObject({
      ALERT_EMAIL_SENDER: 'reports@example.com',
      ALERT_EMAIL_RECIPIENTS: 'cto@example.com',
      SLACK_WEBHOOK_SECRET: 'cto/slack-webhook',
      GITHUB_WEB_HOST: 'github.com',
    });
    configured.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'ses:SendEmail', Condition: { StringEquals: { 'ses:FromAddress': 'reports@example.com' } } }),
        ]),
      },
    });
    const sesPolicies = Object.keys(configured.findResources('AWS::IAM::Policy')).filter((id) =>
      JSON.stringify(configured.findResources('AWS::IAM::Policy')[id]).includes('ses:SendEmail'),
    );
    expect(sesPolicies.sort()).toEqual([
      expect.stringMatching(/^HourlyMetricsSendAlertsRole/),
      expect.stringMatching(/^WeeklyReportSendWeeklyReportRole/),
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('ses:SendEmail');
    const secretReaders = Object.entries(configured.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'))
      .map(([id]) => id);
    expect(secretReaders.filter((id) => id.startsWith('HourlyMetrics'))).toEqual([expect.stringMatching(/^HourlyMetricsSendAlertsRole/)]);
  });
});

describe('the weekly job', () => {
  it('archives beside the health check and the report, in one Parallel state caught into Record Failure', () => {
    const states = definitionOf('weekly_report').States as Record<string, State & Record<string, unknown>>;
    const parallel = states['Weekly Work']!;
    expect(parallel).toMatchObject({
      Type: 'Parallel',
      ResultPath: '$.run.results',
      ResultSelector: {
        'archive.$': '$[0].run.results.archive',
        'health.$': '$[1].run.results.health',
        'report.$': '$[1].run.results.report',
      },
      Next: 'Record Success',
    });
    expect(parallel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record Failure' }]);
    const branches = (parallel.Branches as { StartAt: string; States: Record<string, State> }[]).map((branch) => [
      branch.StartAt,
      ...Object.keys(branch.States).filter((name) => name !== branch.StartAt),
    ]);
    expect(branches).toEqual([
      ['Archive Records', 'Archive Records Failed'],
      ['Check Project Health', 'Send Weekly Report'],
    ]);
    const archive = (parallel.Branches as { States: Record<string, State> }[])[0]!.States;
    expect(archive['Archive Records']!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.stepError', Next: 'Archive Records Failed' },
    ]);
    expect(states['Run or Skip?']).toBeDefined();
  });

  it('lets Send Weekly Report email only from the report sender, and only when one is configured', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('ses:SendEmail');
    const { template: configured, local: configuredLocal } = synthesized({
      ...baseConfig(),
      report: { recipients: ['cto@example.com'], sender: 'reports@example.com' },
    });
    const sesPolicies = Object.entries(configured.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      JSON.stringify(policy).includes('ses:SendEmail'),
    );
    expect(sesPolicies.map(([id]) => id)).toEqual([expect.stringMatching(/^WeeklyReportSendWeeklyReportRole/)]);
    expect(JSON.stringify(sesPolicies[0]![1])).toContain('"ses:FromAddress":"reports@example.com"');
    const sendId = [...configuredLocal.functions.keys()].find((id) => id.startsWith('WeeklyReportSendWeeklyReport'))!;
    expect(configuredLocal.functions.get(sendId)!.environment).toMatchObject({
      REPORT_EMAILS: 'cto@example.com',
      EMAIL_FROM: 'reports@example.com',
    });
  });
});

describe('tables', () => {
  it('are on-demand with point-in-time recovery, TTL and the GSIs the engine queries', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 6);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const indexNames = Object.values(template.findResources('AWS::DynamoDB::Table')).map((table) =>
      ((table.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).map((index) => index.IndexName).sort(),
    );
    expect(indexNames).toEqual(
      expect.arrayContaining([
        ['byJobType', 'byStatus', 'byTime'],
        ['byTime', 'byType'],
        ['active', 'byRepository', 'failing'],
        ['bugClosures', 'openBugs'],
        ['trackedAlerts'],
      ]),
    );
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('functions', () => {
  it('run on the newest Node.js runtime, arm64, with X-Ray', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it.each([
    ['EngineStartRun', { JobHistory: ['GetItem', 'PutItem', 'UpdateItem'], SyncEvents: ['PutItem'] }],
    ['EngineFinishRun', { JobHistory: ['DeleteItem', 'GetItem', 'Query', 'UpdateItem'], SyncEvents: ['PutItem'] }],
    ['EngineSweepStuckRuns', { JobHistory: ['DeleteItem', 'Query', 'UpdateItem'], SyncEvents: ['PutItem'] }],
    // Projects: a daily run's token error, which its projects recorded, names why its Map Run failed.
    [
      'EngineReconcileExecution',
      { JobHistory: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], SyncEvents: ['PutItem'], Projects: ['Query'] },
    ],
    ['DailySyncCleanUpLogs', { SyncEvents: ['BatchWriteItem', 'PutItem', 'Query'] }],
    [
      'HourlyMetricsComputeHourlyMetrics',
      {
        Projects: ['Query'],
        // The hourly aggregates (item 0): read in batches, stored moved forward or rebuilt.
        WorkItems: ['BatchGetItem', 'PutItem', 'Query'],
        Snapshots: ['BatchWriteItem'],
        Alerts: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query'],
        SyncEvents: ['PutItem'],
      },
    ],
    [
      'HourlyMetricsWatchJobRuns',
      { JobHistory: ['Query'], Projects: ['Query'], Alerts: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query'], SyncEvents: ['PutItem'] },
    ],
    // Alerts: the daily job's latest scheduled time (evaluated#daily), claimed to tell a replay.
    ['DailySyncListProjects', { Projects: ['Query'], Alerts: ['GetItem', 'PutItem'] }],
    [
      'DailySyncSyncProject',
      {
        Projects: ['GetItem', 'UpdateItem'],
        // Items batch-read, then put (conditionally, or in batches in a first sync); the hourly aggregate kept around them.
        WorkItems: ['BatchGetItem', 'BatchWriteItem', 'PutItem', 'Query', 'UpdateItem'],
        SyncEvents: ['PutItem'],
      },
    ],
    ['DailySyncRecordProjectFailure', { Projects: ['GetItem', 'UpdateItem'], SyncEvents: ['PutItem'] }],
    // The run's outcomes are read back from the projects (lastRun), through the active index.
    ['DailySyncSummarizeSync', { Projects: ['Query'] }],
    // A child started after the run's deadline records its projects deferred, unless the run was closed (a redrive).
    ['DailySyncListBatchProjects', { Projects: ['Query', 'UpdateItem'], JobHistory: ['GetItem'], SyncEvents: ['PutItem'] }],
    [
      'DailySyncComputeProjectMetrics',
      { Projects: ['GetItem', 'UpdateItem'], WorkItems: ['Query'], Snapshots: ['PutItem'], SyncEvents: ['PutItem'] },
    ],
    ['HourlyMetricsSendAlerts', { Alerts: ['GetItem', 'UpdateItem'], SyncEvents: ['PutItem'] }],
    ['WeeklyReportCheckProjectHealth', { Projects: ['Query'], Snapshots: ['GetItem', 'PutItem', 'Query'], SyncEvents: ['PutItem'] }],
    ['WeeklyReportArchiveRecords', { JobHistory: ['BatchWriteItem', 'Query'], SyncEvents: ['BatchWriteItem', 'PutItem', 'Query'] }],
    [
      'WeeklyReportSendWeeklyReport',
      {
        JobHistory: ['Query'],
        SyncEvents: ['PutItem'],
        Projects: ['Query'],
        WorkItems: ['Query'],
        Snapshots: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      },
    ],
  ])('grants %s only the DynamoDB actions it calls, on only its tables', (name, expected) => {
    expect(dynamoGrantsOf(name)).toEqual(expected);
  });

  it('grants List Projects, with org discovery, what adding, renaming and deactivating projects takes, and saying so', () => {
    expect(
      dynamoGrantsOf('DailySyncListProjects', synthesized({ ...baseConfig(), github: { apiUrl: 'https://api.github.com', org: 'acme' } })),
    ).toEqual({
      Projects: ['PutItem', 'Query', 'UpdateItem'],
      Alerts: ['GetItem', 'PutItem'],
      SyncEvents: ['PutItem'],
    });
  });

  it("lets Watch Job Runs query the Projects table's indexes, the sparse one of failing projects among them", () => {
    const queries = statementsOf(roleOf('HourlyMetricsWatchJobRuns')).filter(
      (statement) => [statement.Action].flat().includes('dynamodb:Query') && JSON.stringify(statement.Resource).includes('TablesProjects'),
    );
    expect(JSON.stringify(queries.map((statement) => statement.Resource))).toContain('/index/*');
  });

  it('send FAILED, TIMED_OUT and ABORTED executions of the three state machines to the reconciler', () => {
    expect(local.statusRules).toHaveLength(1);
    const [rule] = local.statusRules;
    expect(rule!.statuses).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(rule!.stateMachineArns).toHaveLength(3);
    expect(rule!.target.entry).toBe('lambdas/engine/reconcile-execution.ts');
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged findings, and every acknowledgement gives a reason', () => {
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { reason: string; acknowledgedAt: string }[];
      }[];
    };
    const nag = report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions')!;
    expect(nag.violations).toEqual([]);
    expect(nag.conclusion).toBe('success');
    expect(nag.suppressedViolations.length).toBeGreaterThan(0);
    for (const suppressed of nag.suppressedViolations) {
      expect(suppressed.reason.length).toBeGreaterThan(20);
      expect(suppressed.acknowledgedAt).not.toBe('CtoDashboardJobs');
    }
  });
});

describe('outputs', () => {
  it('name the state machines and tables for the CLI', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'DailyStateMachineArn',
        'HourlyStateMachineArn',
        'WeeklyStateMachineArn',
        'JobHistoryTableName',
        'SyncEventsTableName',
        'SnapshotsTableName',
        'AlertsTableName',
        'OnCallTopicArn',
      ]),
    );
  });
});
