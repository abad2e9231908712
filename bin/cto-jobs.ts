#!/usr/bin/env node
/**
 * cto-jobs: run the jobs locally (embedded DynamoDB, the synthesized state machines), read their
 * history, and trigger or redrive runs of the deployed stack.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { STACK_ID } from '../lib/app.ts';
import { defaultClients, deployedStores, redriveExecution, triggerJob } from '../lib/cli/deployed.ts';
import { eventsTable, runsTable } from '../lib/cli/format.ts';
import { PROJECT_ROOT } from '../lib/constructs/job-function.ts';
import { LocalRuntime, readCdkContext, type LocalRunResult } from '../lib/local/runtime.ts';
import { CONFIG_CONTEXT_KEY, ConfigurationError, parseConfig } from '../shared/config.ts';
import { EVENT_TYPES, type EventType } from '../shared/domain/sync-event.ts';
import { JOB_NAMES, type JobName } from '../shared/domain/job-run.ts';
import type { EngineStores } from '../shared/engine/stores.ts';

const USAGE = `usage: cto-jobs <command> [options]

  run <daily|hourly|weekly|all> [--at <ISO time>] [--json]   run jobs locally (embedded DynamoDB)
  history [--job <daily|hourly|weekly>] [--limit N] [--json] [--aws]
  events [--type <event type>] [--limit N] [--json] [--aws]
  trigger <daily|hourly|weekly> [--wait]                      start a manual run of the deployed stack
  redrive <execution-arn>                                      redrive a failed execution of the deployed stack

environment: CTO_JOBS_HOME (local data, default ./.cto-jobs), CTO_JOBS_STACK (default ${STACK_ID})`;

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
      aws: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, argument] = positionals;
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
  const runtime = await LocalRuntime.start({ context: options.context, dataDirectory: path.join(options.home, 'dynamodb') });
  const results: LocalRunResult[] = [];
  try {
    for (const job of jobs) {
      console.error(`▶ ${JOB_NAMES[job]}${at ? ` as scheduled at ${at.toISOString()}` : ' (manual run)'}`);
      results.push(await runtime.runJob(job, { at, onStateEvent: (line) => console.error(`  ${line}`) }));
    }
  } finally {
    await runtime.close();
  }
  const runs = results.flatMap((result) => (result.run ? [result.run] : []));
  if (options.json) console.log(JSON.stringify(runs, null, 2));
  else {
    console.log(`\n${runsTable(runs)}`);
    console.log(`\nJobHistory and SyncEvents are kept in ${path.join(options.home, 'dynamodb')}; see \`npm run cto-jobs -- history\` and \`events\`.`);
  }
  const ok = results.every((result) => result.decision === 'duplicate' || result.run?.status === 'completed');
  return ok ? 0 : 1;
}

async function withStores(
  options: { aws: boolean; home: string; context: Record<string, unknown>; stackName: string },
  use: (stores: EngineStores) => Promise<number>,
): Promise<number> {
  if (options.aws) return use(await deployedStores(defaultClients(), options.stackName, retentionOf(options.context)));
  const runtime = await LocalRuntime.start({ context: options.context, dataDirectory: path.join(options.home, 'dynamodb') });
  try {
    return await use(runtime.stores);
  } finally {
    await runtime.close();
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
    else if (error instanceof ConfigurationError) console.error(`cto-jobs: ${error.message}`);
    else console.error(`cto-jobs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
