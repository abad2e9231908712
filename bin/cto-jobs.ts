#!/usr/bin/env node
/**
 * cto-jobs: run the jobs locally (embedded DynamoDB, the synthesized state machines), read their
 * history, and trigger or redrive runs of the deployed stack.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type CliStores, defaultClients, deployedStores, redriveExecution, triggerJob } from '../lib/cli/deployed.ts';
import { eventsTable, healthTable, runsTable } from '../lib/cli/format.ts';
import { latestMetrics, metricsReport } from '../lib/cli/metrics.ts';
import { importProjects, projectInputFromOptions, projectsTable, saveProjects } from '../lib/cli/projects.ts';
import { gatherStatus, statusPageHtml, statusText } from '../lib/cli/status.ts';
import { type LocalRunResult, LocalRuntime, readCdkContext } from '../lib/local/runtime.ts';
import { PROJECT_ROOT, STACK_ID } from '../lib/project.ts';
import { CONFIG_CONTEXT_KEY, parseConfig, schedulesOf } from '../shared/config.ts';
import type { DailySnapshot } from '../shared/domain/daily-metrics.ts';
import { HEALTH_FORMULA_VERSION } from '../shared/domain/health-score.ts';
import { JOB_NAMES, type JobName } from '../shared/domain/job-run.ts';
import { projectIdOf } from '../shared/domain/project.ts';
import { renderReportEmail } from '../shared/domain/report-email.ts';
import { EVENT_TYPES, type EventType } from '../shared/domain/sync-event.ts';
import { githubWebHostOf } from '../shared/domain/untrusted-text.ts';
import { ENV } from '../shared/environment.ts';
import { ConfigError, InvalidDataError } from '../shared/errors.ts';
import { buildWeeklyReport } from '../shared/weekly/weekly-report.ts';

const USAGE = `usage: cto-jobs <command> [options]

  run <daily|hourly|weekly|all> [--at <ISO time>] [--json]   run jobs locally (embedded DynamoDB)
  history [--job <daily|hourly|weekly>] [--limit N] [--json] [--aws]
  events [--type <event type>] [--limit N] [--json] [--aws]
  metrics [--json] [--aws]                                    the latest hourly figures and the open alerts
  report --out <file.html> [--at <ISO time>] [--aws]           render the weekly CTO report without sending it
  status [--json] [--html <file>] [--aws]                     the jobs' health: dashboard, statistics, missed runs
  projects add <owner/repo> [--name N] [--revenue <severity>=<$/day>]... [--sla <severity>=<hours>]... [--aws]
  projects list [--json] [--aws] | projects remove <owner/repo> [--aws] | projects import <file.json> [--aws]
  trigger <daily|hourly|weekly> [--wait]                      start a manual run of the deployed stack
  redrive <execution-arn>                                      redrive a failed execution of the deployed stack

environment: CTO_JOBS_HOME (local data, default ./.cto-jobs), CTO_JOBS_STACK (default ${STACK_ID}),
  GITHUB_TOKEN (sync real GitHub; without it, \`run\` uses the built-in demo GitHub), GITHUB_API_URL (GitHub Enterprise Server),
  SLACK_WEBHOOK_URL (local runs post alerts to this Slack incoming webhook; they always go to $CTO_JOBS_HOME/alerts.jsonl)`;

class UsageError extends Error {}

const JOB_LIST = Object.keys(JOB_NAMES).join('|');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
      job: { type: 'string' },
      type: { type: 'string' },
      limit: { type: 'string', default: '20' },
      out: { type: 'string' },
      html: { type: 'string' },
      aws: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      name: { type: 'string' },
      revenue: { type: 'string', multiple: true },
      sla: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, argument, projectArgument] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const home = path.resolve(process.env.CTO_JOBS_HOME ?? '.cto-jobs');
  const stackName = process.env.CTO_JOBS_STACK ?? STACK_ID;
  const context = readCdkContext(PROJECT_ROOT);
  const limit = positiveInt(values.limit!, '--limit');

  switch (command) {
    case 'run':
      return runLocally(argument, { at: values.at, json: values.json!, home, context });
    case 'projects':
      return withStores({ aws: values.aws!, home, context, stackName }, async ({ projects }) => {
        const now = new Date();
        if (argument === 'list') {
          const active = await projects.listActive();
          console.log(values.json ? JSON.stringify(active, null, 2) : projectsTable(active));
        } else if (argument === 'add') {
          const input = projectInputFromOptions(projectArgument, { name: values.name, revenue: values.revenue, sla: values.sla });
          console.log((await saveProjects(projects, [input], now)).join('\n'));
        } else if (argument === 'remove') {
          if (!projectArgument) throw new UsageError('projects remove needs <owner/repo>');
          const removed = await projects.remove(projectIdOf(projectArgument));
          console.log(removed ? `removed ${projectArgument}` : `no project ${projectArgument}`);
          return removed ? 0 : 1;
        } else if (argument === 'import') {
          if (!projectArgument) throw new UsageError('projects import needs <file.json>');
          const content = readJsonFile(projectArgument);
          console.log((await importProjects(projects, content, now)).join('\n'));
        } else {
          throw new UsageError(`unknown projects command ${JSON.stringify(argument ?? '')} (add, list, remove, import)`);
        }
        return 0;
      });
    case 'history':
      return withStores({ aws: values.aws!, home, context, stackName }, async (stores) => {
        const jobType = values.job === undefined ? undefined : JOB_NAMES[jobName(values.job)];
        const runs = await stores.runs.listRecent({ jobType, limit });
        console.log(values.json ? JSON.stringify(runs, null, 2) : runsTable(runs));
        return 0;
      });
    case 'events':
      return withStores({ aws: values.aws!, home, context, stackName }, async (stores) => {
        const eventType = values.type === undefined ? undefined : eventTypeOf(values.type);
        const events = await stores.events.listRecent({ eventType, limit });
        console.log(values.json ? JSON.stringify(events, null, 2) : eventsTable(events));
        return 0;
      });
    case 'metrics':
      return withStores({ aws: values.aws!, home, context, stackName }, async (stores) => {
        const metrics = await latestMetrics(stores);
        console.log(values.json ? JSON.stringify(metrics, null, 2) : metricsReport(metrics));
        return 0;
      });
    case 'report': {
      if (!values.out) throw new UsageError('report needs --out <file.html>');
      const at = values.at === undefined ? new Date() : isoTime(values.at);
      return withStores({ aws: values.aws!, home, context, stackName }, async (stores) => {
        const config = parseConfig(context[CONFIG_CONTEXT_KEY], new Date());
        const email = renderReportEmail(await buildWeeklyReport(stores, at), githubWebHostOf(config.github.apiUrl));
        fs.writeFileSync(values.out!, email.html);
        fs.writeFileSync(values.out!.replace(/(\.html?)?$/i, '.txt'), email.text);
        console.log(`${email.subject}\nwrote ${values.out} and its text alternative; nothing was sent`);
        return 0;
      });
    }
    case 'status':
      return withStores({ aws: values.aws!, home, context, stackName }, async (stores) => {
        const config = parseConfig(context[CONFIG_CONTEXT_KEY], new Date());
        const status = await gatherStatus(stores, {
          schedules: schedulesOf(config),
          thresholds: config.monitoring,
          budgetMinutes: config.jobTimeoutMinutes,
          now: new Date(),
        });
        if (values.html) {
          fs.writeFileSync(values.html, statusPageHtml(status));
          console.error(`wrote ${values.html}`);
        }
        console.log(values.json ? JSON.stringify(status, null, 2) : statusText(status));
        return status.dashboard.summary.healthStatus === 'unhealthy' ? 1 : 0;
      });
    case 'trigger': {
      const job = jobName(argument);
      const clients = defaultClients();
      const stores = values.wait ? await deployedStores(clients, stackName, retentionOf(context)) : undefined;
      const result = await triggerJob(clients, stackName, job, { now: new Date(), wait: values.wait!, stores });
      console.log(values.json ? JSON.stringify(result, null, 2) : `started ${result.executionArn}`);
      if (!values.wait) return 0;
      if (!values.json) console.log(`${result.status}${result.run ? `\n${runsTable([result.run])}` : ''}`);
      return result.status === 'SUCCEEDED' ? 0 : 1;
    }
    case 'redrive': {
      if (!argument?.startsWith('arn:')) throw new UsageError(`redrive needs an execution ARN, got ${JSON.stringify(argument ?? '')}`);
      const { redriveDate } = await redriveExecution(defaultClients(), argument);
      console.log(`redriven ${argument} at ${redriveDate?.toISOString() ?? 'now'}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function runLocally(
  which: string | undefined,
  options: { at?: string; json: boolean; home: string; context: Record<string, unknown> },
): Promise<number> {
  const jobs: JobName[] = which === 'all' ? (Object.keys(JOB_NAMES) as JobName[]) : [jobName(which)];
  const at = options.at === undefined ? undefined : isoTime(options.at);
  const alertsFile = path.join(options.home, 'alerts.jsonl');
  const outboxDirectory = path.join(options.home, 'outbox');
  const runtime = await LocalRuntime.start({
    context: options.context,
    dataDirectory: path.join(options.home, 'dynamodb'),
    github: localGitHub(options.context),
    alertsFile,
    outboxDirectory,
    environment: reportOverrides(),
  });
  const results: LocalRunResult[] = [];
  const health: DailySnapshot[] = [];
  let metrics: string | undefined;
  try {
    if (runtime.demoGitHub) {
      const demo = runtime.demoGitHub;
      console.error(`No GITHUB_TOKEN is set: syncing the built-in demo GitHub at ${demo.url} (made-up data), not github.com.`);
      if ((await runtime.stores.projects.listActive()).length === 0) {
        const added = await saveProjects(
          runtime.stores.projects,
          demo.repositoryNames().map((repository) => ({ repository })),
          new Date(),
        );
        console.error(`Registered the demo repositories as projects: ${added.map((line) => line.split(' ')[1]).join(', ')}`);
      }
    }
    for (const job of jobs) {
      console.error(`▶ ${JOB_NAMES[job]}${at ? ` as scheduled at ${at.toISOString()}` : ' (manual run)'}`);
      const result = await runtime.runJob(job, { at, onStateEvent: (line) => console.error(`  ${line}`) });
      results.push(result);
      if (job === 'daily') health.push(...(await snapshotsOf(runtime, result.request.scheduledTime)));
      if (job === 'hourly') metrics = metricsReport(await latestMetrics(runtime.stores), 5);
    }
  } finally {
    await runtime.close();
  }
  const runs = results.flatMap((result) => (result.run ? [result.run] : []));
  if (options.json) console.log(JSON.stringify(runs, null, 2));
  else {
    console.log(`\n${runsTable(runs)}`);
    if (health.length > 0) console.log(`\nProject health (${HEALTH_FORMULA_VERSION}):\n${healthTable(health)}`);
    if (metrics) console.log(`\n${metrics}\nAlert notifications the on-call topic would publish are appended to ${alertsFile}.`);
    const report = results
      .find((result) => result.job === 'weekly')
      ?.run?.summary?.match(/report: ([^;]*(?:;[^;]*no email sent[^;]*)?)/)?.[1];
    if (report)
      console.log(
        `\nWeekly report: ${report}.\n` +
          `Every report email is saved in ${outboxDirectory} (.html, .txt, .json); emails went to the local SES endpoint.`,
      );
    console.log(
      `\nJobHistory and SyncEvents are kept in ${path.join(options.home, 'dynamodb')}; see \`npm run cto-jobs -- history\` and \`events\`.`,
    );
  }
  const ok = results.every((result) => result.decision === 'duplicate' || result.run?.status === 'completed');
  return ok ? 0 : 1;
}

async function withStores(
  options: { aws: boolean; home: string; context: Record<string, unknown>; stackName: string },
  use: (stores: CliStores) => Promise<number>,
): Promise<number> {
  if (options.aws) return use(await deployedStores(defaultClients(), options.stackName, retentionOf(options.context)));
  const runtime = await LocalRuntime.start({
    context: options.context,
    dataDirectory: path.join(options.home, 'dynamodb'),
    github: localGitHub(options.context),
  });
  try {
    return await use(runtime.stores);
  } finally {
    await runtime.close();
  }
}

async function snapshotsOf(runtime: LocalRuntime, scheduledTime: string): Promise<DailySnapshot[]> {
  const date = scheduledTime.slice(0, 10);
  const projects = await runtime.stores.projects.listActive();
  const snapshots = await Promise.all(projects.map((project) => runtime.stores.snapshots.getDaily(project.projectId, date)));
  return snapshots.filter((snapshot) => snapshot !== undefined);
}

/** The original system's REPORT_EMAILS and EMAIL_FROM, when set, override the configured report recipients and sender. */
function reportOverrides(): Record<string, string> {
  return Object.fromEntries(
    [ENV.reportRecipients, ENV.reportSender].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  );
}

/** The GitHub a local run syncs: the real one when GITHUB_TOKEN is set, else the runtime's demo. */
function localGitHub(context: Record<string, unknown>): { apiUrl: string; token: string } | undefined {
  const token = process.env.GITHUB_TOKEN;
  if (!token) return undefined;
  return { token, apiUrl: process.env.GITHUB_API_URL ?? parseConfig(context[CONFIG_CONTEXT_KEY], new Date()).github.apiUrl };
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${file} as JSON: ${(error as Error).message}`, { cause: error });
  }
}

function jobName(value: string | undefined): JobName {
  if (value && value in JOB_NAMES) return value as JobName;
  throw new UsageError(`expected a job (${JOB_LIST}), got ${JSON.stringify(value ?? '')}`);
}

function eventTypeOf(value: string): EventType {
  if ((EVENT_TYPES as readonly string[]).includes(value)) return value as EventType;
  throw new UsageError(`--type ${JSON.stringify(value)} is not one of ${EVENT_TYPES.join(', ')}`);
}

function isoTime(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`--at ${JSON.stringify(value)} is not an ISO 8601 time (e.g. 2026-11-30T02:00:00Z)`);
  }
  return date;
}

function positiveInt(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive integer`);
  return number;
}

function retentionOf(context: Record<string, unknown>) {
  return parseConfig(context[CONFIG_CONTEXT_KEY], new Date()).retention;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`cto-jobs: ${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError || error instanceof InvalidDataError) console.error(`cto-jobs: ${error.message}`);
    else console.error(`cto-jobs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
