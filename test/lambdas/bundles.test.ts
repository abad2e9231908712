/**
 * Every deployed Lambda runs its esbuild bundle, not the TypeScript source the other tests import. Here the
 * stack is synthesized with bundling as `cdk synth` does it, and each function's asset is loaded in a fresh
 * Node process with only the environment the deployed function has, then invoked once with the input its
 * state machine task passes, against the local stand-ins: dynalite, aws-ses-v2-local, the loopback GitHub,
 * a loopback Slack webhook, and a loopback SNS + Secrets Manager (no local emulator exists for either).
 * A bundling mistake, an import or `require` of something not bundled, a CommonJS package that cannot
 * `require` in the ES module output or a setting the function is not given fails here. This machine runs Node 20; Lambda runs nodejs24.x.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAZY_CREDENTIAL_PROVIDERS } from '../../lib/constructs/job-function.ts';
import { createTables, dropTables, startEmbeddedDynamoDb } from '../../lib/local/embedded-dynamodb.ts';
import { type FakeRepository, GitHubServer } from '../../lib/local/github-server.ts';
import { LocalSes } from '../../lib/local/local-ses.ts';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { type CfnTemplate, LOCAL_REGION, readLocalStack } from '../../lib/local/template.ts';
import { PROJECT_ROOT, STACK_ID } from '../../lib/project.ts';
import { digestOf } from '../../shared/domain/alert-message.ts';
import { DEFAULT_ALERT_RULES, firingAlerts, planAlerts } from '../../shared/domain/alerts.ts';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { type ClosedBug, closuresSince, hourlyFigures } from '../../shared/domain/hourly-metrics.ts';
import { manualRunRequest, type RunRequest, runIdOf } from '../../shared/domain/job-run.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ZERO_TOTALS } from '../../shared/domain/sync-totals.ts';
import { ENV } from '../../shared/environment.ts';
import { queueNotices } from '../../shared/hourly/queue-notices.ts';
import { AlertsStore } from '../../shared/store/alerts-store.ts';
import { JobHistoryStore } from '../../shared/store/job-history-store.ts';
import { ProjectsStore } from '../../shared/store/projects-store.ts';
import { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import { SyncEventsStore } from '../../shared/store/sync-events-store.ts';
import { WorkItemsStore } from '../../shared/store/work-items-store.ts';
import { AwsStandIn } from '../support/aws-stand-in.ts';
import {
  type BundledFunction,
  type BundleImports,
  bundleFolder,
  type Invocation,
  importsOf,
  invokeBundle,
  lambdaEnvironment,
  limiter,
  synthesizeBundled,
} from '../support/bundles.ts';
import { generateIssues } from '../support/daily.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { SlackWebhook } from '../support/slack-webhook.ts';
import { buildTestApp } from '../support/synth.ts';
import { asOf, dailyOf, NOW, openBugsOf, organizationOf, TWO_WEEKS, WEEK_AGO } from '../support/weekly.ts';

const TOKEN = 'bundle-test-token';
const GITHUB_SECRET = 'cto/github-token';
const SLACK_SECRET = 'cto/slack-webhook';
const PROJECTS = ['acme/api', 'acme/web'];
const PROJECT_CREATED = new Date('2026-10-01T00:00:00Z');
const WALL = new Date();
const DAY_MS = 86_400_000;

const REPOSITORIES: FakeRepository[] = [
  {
    fullName: 'acme/api',
    id: 101,
    pushedAt: new Date(WALL.getTime() - DAY_MS).toISOString(),
    issues: generateIssues(5, Date.parse('2026-11-20T00:00:00Z'), (n) =>
      n === 5 ? { labels: [], pull_request: { merged_at: null } } : { labels: n === 1 ? ['bug', 'critical', 'revenue: $2k'] : ['bug'] },
    ),
  },
  { fullName: 'acme/web', id: 102, pushedAt: new Date(WALL.getTime() - DAY_MS).toISOString(), issues: [] },
  // Pushed yesterday and not a project yet: the org discovery of "List Projects" adds it.
  { fullName: 'acme/new', id: 103, pushedAt: new Date(WALL.getTime() - DAY_MS).toISOString(), issues: [] },
  { fullName: 'acme/legacy', id: 104, pushedAt: '2020-01-01T00:00:00Z', archived: true, issues: [] },
];

const dynamo = await startEmbeddedDynamoDb();
const ses = await LocalSes.start();
const github = await GitHubServer.start({ token: TOKEN, repositories: REPOSITORIES });
const slack = await SlackWebhook.start();
const aws = await AwsStandIn.start({ [GITHUB_SECRET]: TOKEN, [SLACK_SECRET]: slack.url });
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: LOCAL_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
afterAll(async () => {
  client.destroy();
  await Promise.all([dynamo.close(), ses.close(), github.close(), slack.close(), aws.close()]);
});

// Every optional integration switched on, so each SDK client the bundles carry is exercised.
const context = readCdkContext(PROJECT_ROOT);
const outdir = bundleFolder();
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const bundled = synthesizeBundled(
  outdir,
  {
    ...context,
    ctoJobs: {
      ...(context.ctoJobs as Record<string, unknown>),
      github: { apiUrl: github.url, tokenSecretName: GITHUB_SECRET, org: 'acme' },
      report: { recipients: ['cto@example.com'], sender: 'reports@example.com' },
      alerts: { emailRecipients: ['oncall@example.com'], slackWebhookSecretName: SLACK_SECRET },
    },
  },
  WALL,
);
const functionOf = (entry: string) => {
  const fn = bundled.functions.find((candidate) => candidate.entry === entry);
  if (!fn) throw new Error(`the stack has no function for ${entry}`);
  return fn;
};

// The test's own view of the tables, through the same stores the handlers use.
const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const settings: Record<string, string> = Object.assign({}, ...bundled.functions.map((fn) => fn.environment));
const stores = {
  runs: new JobHistoryStore(documents, settings[ENV.jobHistoryTable]!, Number(settings[ENV.historyRetentionDays])),
  events: new SyncEventsStore(documents, settings[ENV.syncEventsTable]!, Number(settings[ENV.logRetentionDays])),
  projects: new ProjectsStore(documents, settings[ENV.projectsTable]!),
  items: new WorkItemsStore(documents, settings[ENV.workItemsTable]!),
  snapshots: new SnapshotsStore(documents, settings[ENV.snapshotsTable]!),
  alerts: new AlertsStore(documents, settings[ENV.alertsTable]!),
};

/** Each job's cases start from empty tables, created from the template as the local runtime does. */
async function freshTables() {
  await dropTables(client, bundled.stack.tables);
  await createTables(client, bundled.stack.tables);
}

async function addProjects() {
  for (const repository of PROJECTS) await stores.projects.save(newProject({ repository }, PROJECT_CREATED));
}

const endpoints = { dynamodb: dynamo.endpoint, ses: ses.endpoint, sns: aws.endpoint, secretsManager: aws.endpoint };
// Two cores: three child processes at a time keeps both busy without starving the stand-ins.
const atMostThree = limiter(3);
const invoked = new Map<string, Invocation>();

/** Invokes the bundle of the function whose handler source is `entry`, once. */
async function invoke(entry: string, event: unknown): Promise<Invocation> {
  const fn = functionOf(entry);
  const invocation = await atMostThree(() => invokeBundle(fn, lambdaEnvironment(fn, endpoints), event));
  invoked.set(entry, invocation);
  return invocation;
}

/** The handler's answer, after checking it loaded, ran without an error, and answered plain JSON. */
function answerOf(invocation: Invocation): Record<string, unknown> {
  expect(invocation.error, `${invocation.error?.stack ?? ''}\n${invocation.stderr}`).toBeUndefined();
  expect(invocation.phase).toBe('invoke');
  expect(invocation.plain).toBe(true);
  return invocation.result as Record<string, unknown>;
}

/** A work task's input, as every job's state machine passes it. */
const workStep = (runId: string, jobType: string, scheduledTime: string) => ({ runId, jobType, scheduledTime, retryCount: 0 });
const executionArn = (machine: string, name: string) => `arn:aws:states:${LOCAL_REGION}:000000000000:execution:${machine}:${name}`;
const isoSeconds = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The fixture's bugs closed in the two weeks before `at`, as the hourly job reads them. */
const closuresAt = (at: Date) =>
  asOf(TWO_WEEKS, at).filter(
    (item) => item.kind === 'bug' && item.closedAt && item.closedAt >= closuresSince(at),
  ) as unknown as ClosedBug[];

describe('each function bundle', () => {
  let imports: Map<string, BundleImports>;
  beforeAll(async () => {
    imports = await importsOf(bundled.functions.map((fn) => fn.file));
  });

  it('is only its index.mjs and source map, with no node_modules above it for a stray import to find', () => {
    for (const fn of bundled.functions) expect(readdirSync(fn.directory).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    // Lambda's /var/task has nothing beside the bundle; neither may the test's copy.
    const resolveFromBundle = createRequire(path.join(bundled.functions[0]!.directory, 'index.mjs'));
    expect(() => resolveFromBundle.resolve('zod')).toThrow(/Cannot find module/);
  });

  it.each(bundled.functions.map((fn) => [fn.entry, fn] as const))('requires nothing but Node built-ins (%s)', async (_entry, fn) => {
    const { modules, lazyModules, computedRequires } = imports.get(fn.file)!;
    expect(modules.filter((name) => !isBuiltin(name))).toEqual([]);
    expect(computedRequires).toBe(0);
    // Only the SDK's credential providers for an environment without credentials, which Lambda's never is.
    expect(lazyModules.filter((name) => !isBuiltin(name) && !LAZY_CREDENTIAL_PROVIDERS.includes(name))).toEqual([]);
  });

  it('carries a heavy package only where its handler calls it', () => {
    // Read from each source map's list of sources: what esbuild kept after tree-shaking.
    const packagesOf = (fn: BundledFunction) =>
      (JSON.parse(readFileSync(`${fn.file}.map`, 'utf8')) as { sources: string[] }).sources.flatMap(
        (source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1] ?? [],
      );
    const carried = new Map(bundled.functions.map((fn) => [fn.entry, new Set(packagesOf(fn))]));
    const carriers = (name: string) => bundled.functions.filter((fn) => carried.get(fn.entry)!.has(name)).map((fn) => fn.entry);
    const gitHubSteps = ['lambdas/daily/list-projects.ts', 'lambdas/daily/sync-project.ts'];
    const scheduleReaders = ['lambdas/hourly/watch-job-runs.ts', 'lambdas/weekly/send-weekly-report.ts'];
    expect(
      Object.fromEntries(
        ['@octokit/core', 'cron-parser', 'luxon', '@aws-sdk/client-ses', '@aws-sdk/client-sns', '@aws-sdk/client-secrets-manager'].map(
          (name) => [name, carriers(name).sort()],
        ),
      ),
    ).toEqual({
      '@octokit/core': gitHubSteps,
      'cron-parser': scheduleReaders,
      luxon: scheduleReaders,
      '@aws-sdk/client-ses': ['lambdas/hourly/send-alerts.ts', 'lambdas/weekly/send-weekly-report.ts'],
      '@aws-sdk/client-sns': ['lambdas/hourly/send-alerts.ts'],
      '@aws-sdk/client-secrets-manager': [...gitHubSteps, 'lambdas/hourly/send-alerts.ts'],
    });
  });
});

describe('each function bundle, with the default configuration', () => {
  // The bundles do not depend on the configuration; each function's environment does. cdk.json's own
  // configuration (no optional integration) must leave no handler short of a setting it reads at load.
  // Functions whose environment is the same under both configurations are loaded below with it already.
  const { app } = buildTestApp();
  const defaults = readLocalStack(app.synth().getStackByName(STACK_ID).template as CfnTemplate).functions;
  const differing = bundled.functions
    .map((fn) => ({ ...fn, environment: defaults.get(fn.logicalId)!.environment }))
    .filter((fn) => !isDeepStrictEqual(fn.environment, functionOf(fn.entry).environment));

  it.concurrent.each(differing.map((fn) => [fn.entry, fn] as const))(
    'loads with only the environment its function is given (%s)',
    async (_entry, fn) => {
      const loaded = await atMostThree(() => invokeBundle(fn, lambdaEnvironment(fn, endpoints)));
      expect(loaded.error, loaded.error?.stack).toBeUndefined();
      expect(loaded.phase).toBe('load');
    },
  );
});

describe("the engine's bundles", () => {
  const hourSlot = isoSeconds(new Date(Math.floor(WALL.getTime() / 3_600_000) * 3_600_000));
  const finishing = manualRunRequest('daily_sync', new Date(WALL.getTime() - 60_000));
  const reconciling = manualRunRequest('weekly_report', new Date(WALL.getTime() - 60_000));
  const stuckSlot = isoSeconds(new Date(WALL.getTime() - 3 * 3_600_000));
  const arnOf = (request: RunRequest) => executionArn(request.jobType, runIdOf(request).replaceAll(/[#:.]/g, '-'));

  beforeAll(async () => {
    await freshTables();
    for (const request of [finishing, reconciling]) {
      const runId = runIdOf(request);
      await stores.runs.recordRun(
        scheduledRun(request.jobType, request.scheduledTime, 'running', { runId, trigger: 'manual', executionArn: arnOf(request) }),
      );
      await stores.runs.acquireLock(request.jobType, runId, WALL.getTime() + 540_000, WALL.getTime());
    }
    await stores.runs.recordRun(scheduledRun('daily_sync', stuckSlot, 'running'));
  });

  it.concurrent('"Start Run" records the run and takes its lock', async () => {
    const request = { jobType: 'hourly_metrics', trigger: 'schedule', scheduledTime: hourSlot } as const;
    const answer = answerOf(await invoke('lambdas/engine/start-run.ts', { ...request, executionArn: executionArn('Hourly', 'slot') }));
    expect(answer).toEqual({ runId: `hourly_metrics#${hourSlot}`, decision: 'started' });
    expect(await stores.runs.get(`hourly_metrics#${hourSlot}`)).toMatchObject({ status: 'running' });
  });

  it.concurrent('"Record Success" writes the outcome and publishes the EMF metrics', async () => {
    const runId = runIdOf(finishing);
    const invocation = await invoke('lambdas/engine/finish-run.ts', {
      runId,
      jobType: 'daily_sync',
      executionArn: arnOf(finishing),
      redriveCount: 0,
      outcome: 'completed',
      results: { sync: { recordsProcessed: 5, recordsFailed: 0, summary: '1 of 1 project(s) synced', attempt: 1 } },
    });
    expect(answerOf(invocation)).toMatchObject({ runId, status: 'completed', recordsProcessed: 5, recordsFailed: 0 });
    expect(await stores.runs.get(runId)).toMatchObject({ status: 'completed', recordsProcessed: 5 });
    expect(invocation.stdout).toContain('"ConsecutiveFailures"');
  });

  it.concurrent('the reconciler closes a run whose execution timed out, from the EventBridge event', async () => {
    const runId = runIdOf(reconciling);
    const answer = answerOf(
      await invoke('lambdas/engine/reconcile-execution.ts', {
        version: '0',
        id: 'b2d5a7c1-0000-4000-8000-000000000000',
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '000000000000',
        time: WALL.toISOString(),
        region: LOCAL_REGION,
        resources: [arnOf(reconciling)],
        detail: {
          executionArn: arnOf(reconciling),
          stateMachineArn: `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:Weekly`,
          name: 'weekly',
          status: 'TIMED_OUT',
          startDate: Date.parse(reconciling.scheduledTime),
          stopDate: WALL.getTime(),
          input: JSON.stringify(reconciling),
          inputDetails: { included: true },
          output: null,
          outputDetails: null,
          error: null,
          cause: null,
        },
      }),
    );
    expect(answer).toEqual({ runId, action: 'closed' });
    expect(await stores.runs.get(runId)).toMatchObject({ status: 'timeout' });
  });

  it.concurrent('"Sweep Stuck Runs" times out a run still open three hours after it started', async () => {
    const answer = answerOf(
      await invoke('lambdas/engine/sweep-stuck-runs.ts', workStep(`hourly_metrics#${hourSlot}`, 'hourly_metrics', hourSlot)),
    );
    expect(answer).toMatchObject({ recordsProcessed: 1, recordsFailed: 0, attempt: 1 });
    expect(await stores.runs.get(`daily_sync#${stuckSlot}`)).toMatchObject({ status: 'timeout', errorName: 'RunTimedOut' });
  });
});

describe("the daily job's bundles", () => {
  const slot = '2026-11-30T02:00:00Z';
  const runId = `daily_sync#${slot}`;

  beforeAll(async () => {
    await freshTables();
    await addProjects();
    await stores.items.upsert(asOf(TWO_WEEKS, new Date(slot)).filter((item) => item.projectId === 'acme/web'));
    // An import log from 41 days before the run: past the 30-day retention.
    await stores.events.append({
      runId: 'daily_sync#2026-10-20T02:00:00Z',
      timestamp: '2026-10-20T02:05:00Z',
      eventType: 'github_sync',
      level: 'info',
      message: 'old import',
    });
    aws.calls.length = 0;
  });

  it.concurrent('"List Projects" reads the token from Secrets Manager, checks it with GitHub, finds a new org repository', async () => {
    const started = new Date();
    const answer = answerOf(
      await invoke('lambdas/daily/list-projects.ts', { runId, executionStartTime: started.toISOString(), scheduledTime: slot }),
    );
    // The first daily run for its time claims it: not a replay, so it asks GitHub.
    expect(answer).toMatchObject({ discovered: 1, replayOf: null, projectCount: 3 });
    expect(aws.calls).toContainEqual({ service: 'secretsmanager', action: 'GetSecretValue', params: { SecretId: GITHUB_SECRET } });
    // A child execution of the Distributed Map finds the projects of its ranges, to sync by its own deadline.
    const childStartTime = new Date().toISOString();
    const batch = answerOf(
      await invoke('lambdas/daily/list-batch-projects.ts', { ranges: answer.batches, runDeadline: answer.runDeadline, childStartTime }),
    );
    expect(batch).toEqual({ projectIds: ['acme/api', 'acme/new', 'acme/web'], runDeadline: expect.any(String) });
    expect(Date.parse(batch.runDeadline as string)).toBeLessThanOrEqual(Date.parse(childStartTime) + 5 * 60_000);
  });

  it.concurrent('"Sync Project" fetches the repository\'s issues and pull requests and stores them', async () => {
    const runDeadline = new Date(Date.now() + 7 * 60_000).toISOString();
    const answer = answerOf(
      await invoke('lambdas/daily/sync-project.ts', { runId, projectId: 'acme/api', runDeadline, totals: ZERO_TOTALS }),
    );
    expect(answer).toMatchObject({ status: 'done', totals: { fetched: 5, written: 5 } });
    expect(await stores.items.listForProject('acme/api')).toHaveLength(5);
  });

  it.concurrent('"Compute Project Metrics" stores the snapshot with the health score the source computes', async () => {
    const answer = answerOf(
      await invoke('lambdas/daily/compute-project-metrics.ts', { runId, projectId: 'acme/web', scheduledTime: slot, syncStatus: 'done' }),
    );
    const expected = dailyOf('acme/web', new Date(slot)).health.score;
    expect(answer).toEqual({ projectId: 'acme/web', healthScore: expected });
    expect(await stores.snapshots.getDaily('acme/web', '2026-11-30')).toMatchObject({ health: { score: expected } });
  });

  it.concurrent('"Record Project Failure" records the Catch\'s error (AWS-shaped Cause) and lets the run go on', async () => {
    const cause = JSON.stringify({
      errorType: 'NotFoundError',
      errorMessage: 'acme/gone: GitHub answered 404',
      trace: ['NotFoundError: acme/gone: GitHub answered 404'],
    });
    const answer = answerOf(
      await invoke('lambdas/daily/record-project-failure.ts', {
        runId,
        projectId: 'acme/gone',
        scheduledTime: slot,
        error: { Error: 'NotFoundError', Cause: cause },
      }),
    );
    expect(answer).toMatchObject({ projectId: 'acme/gone', recordsProcessed: 0, recordsFailed: 1 });
    expect(await stores.events.listForRun(runId)).toContainEqual(expect.objectContaining({ project: 'acme/gone', level: 'error' }));
  });

  it.concurrent('"Summarize Sync" and the reconciler read back the outcomes the projects recorded', async () => {
    // Runs of their own, on acme/api alone: the other cases record acme/web's outcome in theirs meanwhile.
    const summarized = 'daily_sync#2026-11-29T02:00:00Z';
    const budgets = { token: { points: 3, limit: 5000, remaining: 4990, resetAt: '2026-11-29T03:00:00.000Z' } };
    await stores.projects.recordRunOutcome('acme/api', {
      runId: summarized,
      status: 'synced',
      recordsProcessed: 5,
      healthScore: 80,
      budgets,
    });
    const summary = answerOf(
      await invoke('lambdas/daily/summarize-sync.ts', { ...workStep(summarized, 'daily_sync', '2026-11-29T02:00:00Z'), projectCount: 2 }),
    );
    // Two listed, one outcome: the other's child execution failed.
    expect(summary).toMatchObject({ recordsProcessed: 5, recordsFailed: 1, attempt: 1 });
    expect(summary.summary).toBe(
      '1 of 2 project(s) synced, 1 not synced (their child execution failed); ' +
        'GitHub budgets: token used 3 of 5,000 (4,990 left until 2026-11-29T03:00:00.000Z)',
    );

    const failed = 'daily_sync#2026-11-28T02:00:00Z';
    const message = 'GitHub refused the token: Bad credentials';
    await stores.projects.recordRunOutcome('acme/api', { runId: failed, status: 'token-unusable', errorName: 'AuthError', message });
    // Every child failed on the refused token: the Map's failure fails the execution, and the reconciler names the token.
    const executionArn = `arn:aws:states:${LOCAL_REGION}:000000000000:execution:Daily:failed`;
    const request = { jobType: 'daily_sync', trigger: 'schedule', scheduledTime: '2026-11-28T02:00:00Z' };
    const reconciled = await invoke('lambdas/engine/reconcile-execution.ts', {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn,
        status: 'FAILED',
        startDate: Date.parse(request.scheduledTime),
        stopDate: Date.parse(request.scheduledTime) + 60_000,
        input: JSON.stringify(request),
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The Map Run failed',
      },
    });
    expect(answerOf(reconciled)).toMatchObject({ runId: failed, action: 'recorded' });
    expect(await stores.runs.get(failed)).toMatchObject({ status: 'failed', errorName: 'AuthError', errorMessage: message });
  });

  it.concurrent('"Clean Up Old Logs" deletes the sync event past the retention period', async () => {
    const answer = answerOf(await invoke('lambdas/daily/clean-up-logs.ts', workStep(runId, 'daily_sync', slot)));
    expect(answer).toMatchObject({ recordsProcessed: 1, recordsFailed: 0, attempt: 1 });
  });
});

describe("the hourly job's bundles", () => {
  const runId = `hourly_metrics#${isoSeconds(NOW)}`;
  const previousHour = new Date(NOW.getTime() - 3_600_000);
  const previousRunId = `hourly_metrics#${isoSeconds(previousHour)}`;
  beforeAll(async () => {
    await freshTables();
    await addProjects();
    await stores.items.upsert(asOf(TWO_WEEKS, NOW));
    // The previous hour's notification, queued as "Compute Hourly Metrics" queues it, for "Send Alerts".
    const open = openBugsOf(asOf(TWO_WEEKS, previousHour));
    const figures = hourlyFigures(PROJECTS, open, closuresAt(previousHour), previousHour, DEFAULT_BUG_RULES, DEFAULT_ALERT_RULES);
    const { notices } = planAlerts(
      firingAlerts(open, figures, previousHour, DEFAULT_BUG_RULES, DEFAULT_ALERT_RULES),
      [],
      previousHour,
      DEFAULT_ALERT_RULES.cooldownHours,
    );
    expect(notices.length).toBeGreaterThan(0);
    await queueNotices(stores.alerts, digestOf(previousRunId, figures.at, notices, figures.totals.revenueAtRisk, 'bugs'), notices, []);
    // Daily runs on the 28th and the 29th, none on the 30th: the watchdog's missed slot.
    for (const slot of ['2026-11-28T02:00:00Z', '2026-11-29T02:00:00Z'])
      await stores.runs.recordRun(scheduledRun('daily_sync', slot, 'completed'));
    await stores.runs.recordRun(scheduledRun('weekly_report', '2026-11-23T09:00:00Z', 'completed'));
    aws.calls.length = 0;
    await ses.clear();
    slack.reset();
  });

  it.concurrent('"Compute Hourly Metrics" reads open bugs and recent closures, stores the hour\'s figures, queues alerts', async () => {
    const invocation = await invoke('lambdas/hourly/compute-hourly-metrics.ts', workStep(runId, 'hourly_metrics', isoSeconds(NOW)));
    const read = openBugsOf(asOf(TWO_WEEKS, NOW)).length + closuresAt(NOW).length;
    expect(answerOf(invocation)).toMatchObject({ recordsProcessed: read, recordsFailed: 0, attempt: 1 });
    expect(await stores.snapshots.latestHourly()).toMatchObject({ revenueAtRisk: organizationOf(NOW, PROJECTS).revenueAtRisk });
    expect(await stores.alerts.getNotification(runId, 'bugs')).toBeDefined();
    expect(invocation.stdout).toContain('"RevenueAtRisk"');
  });

  it.concurrent('"Send Alerts" publishes to SNS, emails through SES, posts to Slack with the webhook from Secrets Manager', async () => {
    const fn = functionOf('lambdas/hourly/send-alerts.ts');
    const answer = answerOf(await invoke(fn.entry, workStep(previousRunId, 'hourly_metrics', isoSeconds(previousHour))));
    expect(answer).toMatchObject({ recordsProcessed: 3, recordsFailed: 0, attempt: 1 });
    const published = aws.calls.filter((call) => call.service === 'sns');
    expect(published).toEqual([
      expect.objectContaining({ action: 'Publish', params: expect.objectContaining({ TopicArn: fn.environment[ENV.alertTopicArn] }) }),
    ]);
    expect(aws.calls).toContainEqual({ service: 'secretsmanager', action: 'GetSecretValue', params: { SecretId: SLACK_SECRET } });
    expect((await ses.emails()).filter((email) => email.destination.to.includes('oncall@example.com'))).toHaveLength(1);
    expect(slack.received).toHaveLength(1);
  });

  it.concurrent('"Watch Job Runs" alerts on the daily slot that never ran', async () => {
    const invocation = await invoke('lambdas/hourly/watch-job-runs.ts', workStep(runId, 'hourly_metrics', isoSeconds(NOW)));
    expect(answerOf(invocation)).toMatchObject({ recordsFailed: 0, attempt: 1 });
    expect(await stores.alerts.getNotification(runId, 'jobs')).toBeDefined();
    expect(invocation.stdout).toContain('"MissedRuns"');
  });
});

describe("the weekly job's bundles", () => {
  const runId = `weekly_report#${isoSeconds(NOW)}`;

  beforeAll(async () => {
    await freshTables();
    for (const projectId of PROJECTS) {
      await stores.projects.save(newProject({ repository: projectId }, PROJECT_CREATED));
      for (const at of [WEEK_AGO, NOW]) await stores.snapshots.putDaily(dailyOf(projectId, new Date(at.getTime() - 7 * 3_600_000)));
    }
    await stores.items.upsert(TWO_WEEKS);
    for (const at of [WEEK_AGO, NOW]) {
      await stores.snapshots.putHourly(
        hourlyFigures(PROJECTS, openBugsOf(asOf(TWO_WEEKS, at)), closuresAt(at), at, DEFAULT_BUG_RULES, DEFAULT_ALERT_RULES),
      );
    }
    // An import log 100 days old: past the 90 days archiving keeps them.
    await stores.events.append({
      runId: 'daily_sync#2026-08-22T02:00:00Z',
      timestamp: '2026-08-22T02:05:00Z',
      eventType: 'github_sync',
      level: 'info',
      message: 'old import',
    });
    await ses.clear();
  });

  it.concurrent('"Check Project Health" classifies both projects and stores their status', async () => {
    const answer = answerOf(await invoke('lambdas/weekly/check-project-health.ts', workStep(runId, 'weekly_report', isoSeconds(NOW))));
    expect(answer).toMatchObject({ recordsProcessed: 2, recordsFailed: 0, attempt: 1 });
    expect(await stores.snapshots.getStatus('acme/api', '2026-11-30')).toBeDefined();
  });

  it.concurrent('"Archive Records" removes the import log past its retention', async () => {
    const answer = answerOf(await invoke('lambdas/weekly/archive-records.ts', workStep(runId, 'weekly_report', isoSeconds(NOW))));
    expect(answer).toMatchObject({ recordsProcessed: 1, recordsFailed: 0, attempt: 1 });
  });

  it.concurrent('"Send Weekly Report" emails the report through SES', async () => {
    const answer = answerOf(await invoke('lambdas/weekly/send-weekly-report.ts', workStep(runId, 'weekly_report', isoSeconds(NOW))));
    expect(answer).toMatchObject({ recordsFailed: 0, attempt: 1 });
    const [email, ...others] = (await ses.emails()).filter((sent) => sent.destination.to.includes('cto@example.com'));
    expect(others).toEqual([]);
    expect(email).toMatchObject({
      from: 'reports@example.com',
      subject: expect.stringContaining('CTO weekly report 2026-W48 · 23 – 29 Nov 2026'),
    });
  });
});

describe('the stack', () => {
  it('has no function whose bundle this file leaves uninvoked', () => {
    expect([...invoked.keys()].sort()).toEqual(bundled.functions.map((fn) => fn.entry).sort());
  });
});

afterAll(() => {
  const rows = bundled.functions.map((fn) => {
    const kib = (statSync(fn.file).size / 1024).toFixed(0).padStart(5);
    const ms = String(invoked.get(fn.entry)?.ms ?? '-').padStart(5);
    return `  ${kib} KiB  ${ms} ms  ${fn.entry}`;
  });
  console.info(
    `synthesized with bundling in ${bundled.synthMs} ms; bundle size and load + one invocation per function:\n${rows.join('\n')}`,
  );
});
