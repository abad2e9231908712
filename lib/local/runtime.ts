/**
 * The embedded local runtime: the synthesized stack's state machines executed against an embedded
 * DynamoDB, every task bound to the deployed handler code, the reconciler rule emulated.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CONFIG_CONTEXT_KEY } from '../../shared/config.ts';
import {
  executionNameOf,
  JOB_NAMES,
  type JobName,
  type JobRun,
  manualRunRequest,
  type RunRequest,
  runIdOf,
} from '../../shared/domain/job-run.ts';
import { schedulerTimeOf } from '../../shared/domain/schedule-slots.ts';
import type { EngineStores } from '../../shared/engine/stores.ts';
import { ENV } from '../../shared/environment.ts';
import type { AlertsStore } from '../../shared/store/alerts-store.ts';
import type { ProjectsStore } from '../../shared/store/projects-store.ts';
import type { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import type { WorkItemsStore } from '../../shared/store/work-items-store.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { DEMO_ORG } from './demo-dataset.ts';
import { createTables, dropTables, type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.ts';
import type { ExecuteOptions, ExecutionOutcome } from './execute.ts';
import type { GitHubServer } from './github-server.ts';
import type { LocalQueues } from './local-queue.ts';
import type { LocalSes } from './local-ses.ts';
import { type CfnTemplate, LOCAL_REGION, type LocalStack, readLocalStack, synthesizeTemplate } from './template.ts';
import { isTemplateKept } from './template-cache.ts';
import type { LocalHttpApi } from './webhook-endpoint.ts';

export interface LocalRuntimeOptions {
  /** CDK context (cdk.json's, with any overrides). */
  readonly context: Record<string, unknown>;
  /** Where the embedded DynamoDB persists; in memory when omitted. */
  readonly dataDirectory?: string;
  readonly now?: Date;
  /** The GitHub to sync from; when omitted, the built-in demo GitHub (a loopback server with demo data). */
  readonly github?: { readonly apiUrl: string; readonly token: string };
  /** Set after the functions' own environment (e.g. GITHUB_RETRY_BASE_MS in tests). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The on-call channel appends its messages to this JSON-lines file instead of publishing to SNS. When
   * omitted, it calls SNS (tests stub the SNS client).
   */
  readonly alertsFile?: string;
  /** Every report email is also saved here as .html, .txt and .json. */
  readonly outboxDirectory?: string;
  /** Told each step of the start-up as it begins or ends (synthesis takes seconds: the CLI says so at once). */
  readonly onStartup?: (step: StartupStep) => void;
}

/** A step of the start-up, for the CLI to say what it is waiting for. */
export type StartupStep =
  | { readonly step: 'synthesizing' }
  | { readonly step: 'synthesized'; readonly durationMs: number }
  | { readonly step: 'template kept' }
  | { readonly step: 'tables' }
  | { readonly step: 'local services'; readonly demoGitHub: boolean };

/** What opening the tables alone takes: no functions run, so no GitHub, SES or alerts file. */
export type LocalTablesOptions = Pick<LocalRuntimeOptions, 'context' | 'dataDirectory' | 'now' | 'environment' | 'onStartup'>;

/** The token the demo GitHub accepts. */
const DEMO_TOKEN = 'demo-token';

export interface RunJobOptions
  extends Pick<ExecuteOptions, 'beforeTask' | 'afterTask' | 'retryIntervalMs' | 'waitMs' | 'onStateEvent' | 'onStateChange'> {
  /** Run as if the schedule fired at this time (its idempotency key and its "now"). */
  readonly at?: Date;
  /** Patches the definition before it runs (tests shorten TimeoutSeconds with it). */
  readonly patchDefinition?: (definition: Record<string, unknown>) => Record<string, unknown>;
}

/** Every table of the stack, through the stores the handlers use. */
export interface LocalStores extends EngineStores {
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly snapshots: SnapshotsStore;
  readonly alerts: AlertsStore;
}

export interface LocalRunResult {
  readonly job: JobName;
  readonly request: RunRequest;
  readonly execution: ExecutionOutcome;
  /** The run's JobHistory record after the execution (and the reconciler, if it ran). */
  readonly run?: JobRun;
  readonly decision?: 'started' | 'duplicate' | 'skipped';
}

/**
 * The stack's tables in the embedded DynamoDB, through the handlers' stores: all a read-only command needs. It
 * loads neither the state machine interpreter nor the local SES, which cost a read most of its start-up.
 */
export class LocalTables {
  private constructor(
    readonly template: CfnTemplate,
    readonly stack: LocalStack,
    readonly stores: LocalStores,
    private readonly dynamo: EmbeddedDynamoDb,
    private readonly client: DynamoDBClient,
  ) {}

  /**
   * Reads the stack's template (synthesized, or kept), starts the embedded DynamoDB, creates missing tables and
   * points the handlers' environment at them.
   */
  static async open(options: LocalTablesOptions): Promise<LocalTables> {
    const { onStartup = () => undefined } = options;
    const now = options.now ?? new Date();
    const kept = isTemplateKept(options.context, now);
    onStartup({ step: kept ? 'template kept' : 'synthesizing' });
    const synthesisStarted = performance.now();
    const template = await synthesizeTemplate(options.context, now);
    const stack = readLocalStack(template);
    if (!kept) onStartup({ step: 'synthesized', durationMs: performance.now() - synthesisStarted });
    onStartup({ step: 'tables' });
    if (options.dataDirectory) fs.mkdirSync(options.dataDirectory, { recursive: true });
    const dynamo = await startEmbeddedDynamoDb(options.dataDirectory);
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // EMF lines would only clutter a local terminal; tests that read them turn metrics back on.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      ...mergedEnvironment(stack),
      ...options.environment,
    });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION });
    await createTables(client, stack.tables);
    // The same stores the handlers build, from the environment just set.
    const { alertsStore, engineStores, projectsStore, snapshotsStore, workItemsStore } = await import('../../shared/dependencies.ts');
    const stores: LocalStores = {
      ...engineStores(),
      projects: projectsStore(),
      items: workItemsStore(),
      snapshots: snapshotsStore(),
      alerts: alertsStore(),
    };
    return new LocalTables(template, stack, stores, dynamo, client);
  }

  /** Empties every table (tests start each case from a clean slate). */
  async reset(): Promise<void> {
    await dropTables(this.client, this.stack.tables);
    await createTables(this.client, this.stack.tables);
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.dynamo.close();
  }
}

/** The webhook endpoint on loopback (when the stack has one) and the queue between it and its consumer. */
export interface LocalWebhooks {
  /** The payload URL to register on a (loopback) GitHub's webhook. */
  readonly url: string;
  /** The stack's queues: `settled()` resolves once every queued delivery was applied or dead-lettered. */
  readonly queues: LocalQueues;
}

/** The id of the demo GitHub's organization webhook, which delivers to the local endpoint. */
export const DEMO_HOOK_ID = 1;

export class LocalRuntime {
  private constructor(
    private readonly tables: LocalTables,
    /** The built-in demo GitHub, when no GitHub was given. */
    readonly demoGitHub: GitHubServer | undefined,
    /** The local SES endpoint every email goes to. */
    readonly ses: LocalSes,
    /** The webhook endpoint, when the stack has one (the `webhooks` config is set). */
    readonly webhooks: LocalWebhooks | undefined,
    private readonly httpApi: LocalHttpApi | undefined,
  ) {}

  get stack(): LocalStack {
    return this.tables.stack;
  }

  get stores(): LocalStores {
    return this.tables.stores;
  }

  /**
   * Opens the tables, starts the local SES (and the demo GitHub, when no GitHub was given) and points the
   * handlers' environment at them. One runtime per process: handlers create their SDK clients once, at load.
   */
  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const tables = await LocalTables.open(options);
    options.onStartup?.({ step: 'local services', demoGitHub: !options.github });
    const [{ GitHubServer }, { DEMO_ORG, demoRepositories }, { LocalSes }] = await Promise.all([
      import('./github-server.ts'),
      import('./demo-dataset.ts'),
      import('./local-ses.ts'),
    ]);
    // The demo data is anchored to the start of the UTC day, so reruns within a day find it unchanged (304).
    const demoDay = new Date(new Date().toISOString().slice(0, 10));
    const demo = options.github ? undefined : await GitHubServer.start({ token: DEMO_TOKEN, repositories: demoRepositories(demoDay) });
    const github = options.github ?? { apiUrl: demo!.url, token: DEMO_TOKEN };
    const ses = await LocalSes.start();
    const webhooks = await startWebhookPath(tables);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SES: ses.endpoint,
      [ENV.githubApiUrl]: github.apiUrl,
      GITHUB_TOKEN: github.token,
      ...(options.alertsFile ? { [ENV.localAlertsFile]: options.alertsFile } : {}),
      ...(options.outboxDirectory ? { [ENV.localOutboxDirectory]: options.outboxDirectory } : {}),
      ...webhooks?.environment,
      // Last, as before: the caller's settings win over the template's and the runtime's.
      ...options.environment,
    });
    if (demo && webhooks) {
      // The demo GitHub's organization webhook, signed with the secret the endpoint checks, as on github.com.
      const secret = process.env[WEBHOOK_ENV.secret]!;
      demo.addHook({ id: DEMO_HOOK_ID, url: webhooks.local.url, secret, target: { org: DEMO_ORG } });
    }
    return new LocalRuntime(tables, demo, ses, webhooks?.local, webhooks?.api);
  }

  /** Runs one job's state machine from the synthesized definition; resolves when it has ended. */
  async runJob(job: JobName, options: RunJobOptions = {}): Promise<LocalRunResult> {
    const jobType = JOB_NAMES[job];
    const machine = this.stack.stateMachines.get(jobType);
    if (!machine) throw new Error(`the stack has no state machine for ${jobType}`);
    const request: RunRequest = options.at
      ? { jobType, trigger: 'schedule', scheduledTime: schedulerTimeOf(options.at) }
      : manualRunRequest(jobType, new Date());
    // Scheduler names each delivery's execution uniquely; so do we, or duplicates could not be replayed.
    const name = `${executionNameOf(request)}-${randomBytes(3).toString('hex')}`;
    const definition = options.patchDefinition ? options.patchDefinition(structuredClone(machine.definition)) : machine.definition;
    const { executeDefinition } = await import('./execute.ts');
    const execution = await executeDefinition(this.stack, definition, { ...request }, { ...options, stateMachineArn: machine.arn, name });
    if (execution.status !== 'SUCCEEDED') await this.emitStatusChange(machine.arn, request, execution);
    const output = execution.output as { run?: { decision?: LocalRunResult['decision'] } } | undefined;
    return { job, request, execution, run: await this.stores.runs.get(runIdOf(request)), decision: output?.run?.decision };
  }

  /** Emulates the EventBridge rule: an execution that did not succeed reaches the reconciler. */
  private async emitStatusChange(stateMachineArn: string, request: RunRequest, execution: ExecutionOutcome) {
    const { invokeFunction } = await import('./execute.ts');
    for (const rule of this.stack.statusRules) {
      if (!rule.statuses.includes(execution.status) || !rule.stateMachineArns.includes(stateMachineArn)) continue;
      await invokeFunction(rule.target.entry, rule.target.logicalId, {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: execution.executionArn,
          stateMachineArn,
          name: execution.name,
          status: execution.status,
          startDate: execution.startDate,
          stopDate: execution.stopDate,
          input: JSON.stringify(request),
          error: execution.error ?? null,
          cause: execution.cause ?? null,
        },
      });
    }
  }

  /** Empties every table and queue (tests start each case from a clean slate). */
  async reset(): Promise<void> {
    await this.webhooks?.queues.reset();
    await this.tables.reset();
  }

  async close(): Promise<void> {
    await this.httpApi?.close();
    await this.webhooks?.queues.close();
    await this.tables.close();
    await this.demoGitHub?.close();
    await this.ses.close();
  }
}

/**
 * The stack's HTTP API and queues on loopback, when it has a route (the webhook endpoint), each function run by the
 * local invoker; and the environment that points the handlers at them: the SQS endpoint, the queues' URLs and the
 * webhook secret (a random one unless WEBHOOK_SECRET is set: the demo GitHub signs with it).
 */
async function startWebhookPath(tables: LocalTables) {
  const { LocalHttpApi, readWebhookWiring } = await import('./webhook-endpoint.ts');
  const wiring = readWebhookWiring(tables.template, tables.stack);
  const route = wiring.routes.find((candidate) => candidate.routeKey.startsWith('POST '));
  if (!route) return undefined;
  const [{ LocalQueues }, { invokeFunction }] = await Promise.all([import('./local-queue.ts'), import('./execute.ts')]);
  const queues = await LocalQueues.start(wiring.queues, invokeFunction);
  const api = await LocalHttpApi.start(wiring.routes, invokeFunction);
  // A queue's Ref is its URL on AWS; the template resolves it to the logical id, which the SDK cannot send to.
  const queueIds = new Set(wiring.queues.map((queue) => queue.logicalId));
  const queueUrls = Object.entries(mergedEnvironment(tables.stack)).flatMap(([name, value]) =>
    queueIds.has(value) ? [[name, queues.urlOf(value)]] : [],
  );
  const environment: Record<string, string> = {
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    ...Object.fromEntries(queueUrls),
    [WEBHOOK_ENV.secret]: process.env[WEBHOOK_ENV.secret] ?? randomBytes(32).toString('hex'),
  };
  return { local: { url: `${api.url}${route.routeKey.slice('POST '.length)}`, queues }, api, environment };
}

/** The environment every handler reads, from the functions' resolved template environments. */
function mergedEnvironment(stack: LocalStack): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const fn of stack.functions.values()) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (name in merged && merged[name] !== value) {
        throw new Error(`functions disagree on ${name} (${merged[name]} vs ${value}); one process cannot host both`);
      }
      merged[name] = value;
    }
  }
  return merged;
}

/**
 * The context of a local run against the demo GitHub: with a `webhooks` block naming the demo organization's hook
 * unless one is configured, so the local stack serves the webhook endpoint that hook delivers to, and the hourly job
 * checks its deliveries (redelivering failed ones, confirming the quiet projects of a hook with none outstanding).
 */
export function withDemoWebhooks(context: Record<string, unknown>): Record<string, unknown> {
  const config = (context[CONFIG_CONTEXT_KEY] ?? {}) as Record<string, unknown>;
  const webhooks = { hooks: [{ org: DEMO_ORG, id: DEMO_HOOK_ID }] };
  return config.webhooks ? context : { ...context, [CONFIG_CONTEXT_KEY]: { ...config, webhooks } };
}

/** Reads the CDK context from the project's cdk.json. */

export function readCdkContext(projectRoot: string): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
