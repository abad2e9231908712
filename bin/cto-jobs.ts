#!/usr/bin/env node
/**
 * cto-jobs: run the jobs locally (embedded DynamoDB, the synthesized state machines), read their
 * history, and trigger or redrive runs of the deployed stack. The heavy modules (the local runtime, the AWS SDK
 * clients, the weekly report) are imported by the commands that use them: --help and a refused command line
 * answer at once, and a read-only command loads no more than it reads with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type Command,
  eventTypeOf,
  homeDirectoryOf,
  isoInstantOf,
  jobNameOf,
  parseCommandLine,
  positiveIntegerOf,
  readJsonFileOf,
  UsageError,
  usageOf,
} from '../lib/cli/arguments.ts';
import type { CliStores } from '../lib/cli/deployed.ts';
import { eventsTable, healthTable, runsTable, TABLE_WIDTH, terminalText, wrap } from '../lib/cli/format.ts';
import { latestMetrics, metricsReport } from '../lib/cli/metrics.ts';
import { importProjects, projectInputFromOptions, projectsTable, removeProject, saveProjects } from '../lib/cli/projects.ts';
import type { LocalRunResult, LocalRuntime } from '../lib/local/runtime.ts';
import { PROJECT_ROOT, STACK_ID } from '../lib/project.ts';
import type { Config } from '../shared/config.ts';
import type { DailySnapshot } from '../shared/domain/daily-metrics.ts';
import { HEALTH_FORMULA_VERSION } from '../shared/domain/health-score.ts';
import { JOB_NAMES, type JobName } from '../shared/domain/job-run.ts';
import { githubWebHostOf } from '../shared/domain/untrusted-text.ts';
import { ENV } from '../shared/environment.ts';
import { ConfigError, InvalidDataError } from '../shared/errors.ts';

/** The environment variables, shown after the commands in `cto-jobs --help`. */
const ENVIRONMENT_HELP = `environment: CTO_JOBS_HOME (local data, default ./.cto-jobs), CTO_JOBS_STACK (default ${STACK_ID}),
  GITHUB_TOKEN (sync real GitHub; without it, \`run\` uses the built-in demo GitHub), GITHUB_API_URL (GitHub Enterprise Server),
  SLACK_WEBHOOK_URL (local runs post alerts to this Slack incoming webhook; they always go to $CTO_JOBS_HOME/alerts.jsonl)`;

/** The commands that use neither the local runtime nor the deployed stack's tables, so CTO_JOBS_HOME does not matter to them. */
const STORELESS_COMMANDS: readonly Command[] = ['trigger', 'redrive', 'smoke'];

async function main(argv: string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help) {
    console.log(commandLine.command ? usageOf(commandLine.command) : `${usageOf()}\n\n${ENVIRONMENT_HELP}`);
    return 0;
  }
  const { command, positionals, values } = commandLine;
  const [argument, projectArgument] = positionals;
  // Everything is checked before anything starts: a bad value never costs a synthesis.
  // CTO_JOBS_HOME is checked only where it is used: --aws, trigger, redrive and smoke never open it.
  const local = command === 'run' || (!values.aws && !STORELESS_COMMANDS.includes(command));
  const home = local ? homeDirectoryOf(process.env.CTO_JOBS_HOME ?? '.cto-jobs') : path.resolve('.cto-jobs');
  const limit = values.limit === undefined ? DEFAULT_LIMIT : positiveIntegerOf(values.limit, '--limit');
  const at = values.at === undefined ? undefined : isoInstantOf(values.at);
  const stackName = process.env.CTO_JOBS_STACK ?? STACK_ID;
  const storeOptions = { aws: values.aws, home, stackName };

  switch (command) {
    case 'run':
      return runLocally(jobNameOf(argument, true), { at, json: values.json, verbose: values.verbose, home });
    case 'projects': {
      const action = projectsActionOf(argument, projectArgument);
      return withStores(storeOptions, async (stores) => {
        const { projects } = stores;
        const now = new Date();
        if (action.kind === 'list') {
          const active = await projects.listActive();
          console.log(values.json ? JSON.stringify(active, null, 2) : projectsTable(active));
        } else if (action.kind === 'add') {
          const input = projectInputFromOptions(projectArgument, { name: values.name, revenue: values.revenue, sla: values.sla });
          console.log((await saveProjects(projects, [input], now)).join('\n'));
        } else if (action.kind === 'remove') {
          const { lines, existed } = await removeProject(stores, action.repository, { purge: values.purge, now });
          console.log(lines.join('\n'));
          return existed ? 0 : 1;
        } else {
          console.log((await importProjects(projects, action.content, now)).join('\n'));
        }
        return 0;
      });
    }
    case 'history': {
      const jobType = values.job === undefined ? undefined : JOB_NAMES[jobNameOf(values.job, false)];
      return withStores(storeOptions, async (stores) => {
        const runs = await stores.runs.listRecent({ jobType, limit });
        console.log(values.json ? JSON.stringify(runs, null, 2) : runsTable(runs));
        return 0;
      });
    }
    case 'events': {
      const eventType = values.type === undefined ? undefined : eventTypeOf(values.type);
      return withStores(storeOptions, async (stores) => {
        const events = await stores.events.listRecent({ eventType, limit });
        console.log(values.json ? JSON.stringify(events, null, 2) : eventsTable(events));
        return 0;
      });
    }
    case 'metrics':
      return withStores(storeOptions, async (stores) => {
        const metrics = await latestMetrics(stores);
        console.log(values.json ? JSON.stringify(metrics, null, 2) : metricsReport(metrics));
        return 0;
      });
    case 'health': {
      const { gatherHealth, healthReport } = await import('../lib/cli/health.ts');
      return withStores(storeOptions, async (stores, config) => {
        const health = await gatherHealth(stores, { thresholds: config.healthThresholds, now: new Date() });
        console.log(values.json ? JSON.stringify(health, null, 2) : healthReport(health));
        return 0;
      });
    }
    case 'report': {
      const out = values.out;
      if (!out) throw new UsageError('report needs --out <file.html>');
      const textOut = out.replace(/(\.html?)?$/i, '.txt');
      const [{ renderReportEmail }, { buildWeeklyReport }, { reportSettingsOf }] = await Promise.all([
        import('../shared/domain/report-email.ts'),
        import('../shared/weekly/weekly-report.ts'),
        import('../shared/config.ts'),
      ]);
      return withStores(storeOptions, async (stores, config) => {
        const email = renderReportEmail(
          // The week a run at `at` would report, in the schedules' time zone (as the weekly job does).
          await buildWeeklyReport(await reportSources(stores, config), at ?? new Date(), config.timeZone),
          githubWebHostOf(config.github.apiUrl),
          reportSettingsOf(config),
        );
        fs.writeFileSync(out, email.html);
        fs.writeFileSync(textOut, email.text);
        console.log(`${email.subject}\nwrote ${out} and its text alternative ${textOut}; nothing was sent`);
        return 0;
      });
    }
    case 'status': {
      const [{ gatherStatus, statusPageHtml, statusText }, { alertRulesOf, schedulesOf }] = await Promise.all([
        import('../lib/cli/status.ts'),
        import('../shared/config.ts'),
      ]);
      return withStores(storeOptions, async (stores, config) => {
        const status = await gatherStatus(stores, {
          schedules: schedulesOf(config),
          thresholds: config.monitoring,
          budgetMinutes: config.jobTimeoutMinutes,
          healthThresholds: config.healthThresholds,
          staleAfterHours: alertRulesOf(config).staleAfterHours,
          now: new Date(),
        });
        if (values.html) {
          fs.writeFileSync(values.html, statusPageHtml(status));
          console.error(`wrote ${values.html}`);
        }
        console.log(values.json ? JSON.stringify(status, null, 2) : statusText(status));
        return status.dashboard.summary.healthStatus === 'unhealthy' ? 1 : 0;
      });
    }
    case 'trigger': {
      const job = jobNameOf(argument, false);
      const { defaultClients, deployedStores, triggerJob } = await import('../lib/cli/deployed.ts');
      const clients = defaultClients();
      const retention = (await localConfig()).config.retention;
      const stores = values.wait ? await deployedStores(clients, stackName, retention) : undefined;
      const result = await triggerJob(clients, stackName, job, { now: new Date(), wait: values.wait, stores });
      console.log(values.json ? JSON.stringify(result, null, 2) : `started ${result.executionArn}`);
      if (!values.wait) return 0;
      if (!values.json) console.log(`${result.status}${result.run ? `\n${runsTable([result.run])}` : ''}`);
      return result.status === 'SUCCEEDED' ? 0 : 1;
    }
    case 'smoke': {
      if (!values.aws) throw new UsageError('smoke runs the deployed jobs: add --aws');
      const { defaultClients, deployedStores } = await import('../lib/cli/deployed.ts');
      const { smokeTest } = await import('../lib/cli/smoke.ts');
      const clients = defaultClients();
      const stores = await deployedStores(clients, stackName, (await localConfig()).config.retention);
      const results = await smokeTest(clients, stackName, stores, { send: values.send });
      for (const { line } of results) console.log(line);
      return results.every(({ passed }) => passed) ? 0 : 1;
    }
    case 'resend-report': {
      const { isoWeekArgumentOf, resendReport } = await import('../lib/cli/resend-report.ts');
      const week = isoWeekArgumentOf(argument);
      const [{ SESClient }, { reportSettingsOf }] = await Promise.all([import('@aws-sdk/client-ses'), import('../shared/config.ts')]);
      // Locally the runtime's SES stand-in takes the message, as it does a local weekly run's.
      const localSes = values.aws ? undefined : await (await import('../lib/local/local-ses.ts')).LocalSes.start();
      const ses = localSes
        ? new SESClient({
            endpoint: localSes.endpoint,
            region: 'local-1',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          })
        : new SESClient({});
      try {
        return await withStores(storeOptions, async (stores, config) => {
          const { lines, sent } = await resendReport(
            {
              ...(await reportSources(stores, config)),
              ses,
              linkHost: githubWebHostOf(config.github.apiUrl),
              settings: reportSettingsOf(config),
              timeZone: config.timeZone,
              recipients: config.report.recipients,
              sender: config.report.sender,
            },
            week,
            { now: new Date(), confirmNotDelivered: (known) => confirmedNotDelivered(known, values['confirm-not-delivered']) },
          );
          console.log(lines.join('\n'));
          return sent ? 0 : 1;
        });
      } finally {
        await localSes?.close();
      }
    }
    case 'redrive': {
      if (!argument?.startsWith('arn:')) throw new UsageError(`redrive needs an execution ARN, got ${JSON.stringify(argument ?? '')}`);
      const { defaultClients, redriveExecution } = await import('../lib/cli/deployed.ts');
      const { redriveDate } = await redriveExecution(defaultClients(), argument);
      console.log(`redriven ${argument} at ${redriveDate?.toISOString() ?? 'now'}`);
      return 0;
    }
  }
}

/** The replay note an hourly run's summary starts with (shared/hourly/replay-note.ts), up to the next part of the summary. */
const REPLAY_NOTE = /replay of [^;]*/;

/** Rows `history` and `events` show without --limit. */
const DEFAULT_LIMIT = 20;

type ProjectsAction =
  | { readonly kind: 'list' }
  | { readonly kind: 'add' }
  | { readonly kind: 'remove'; readonly repository: string }
  | { readonly kind: 'import'; readonly content: unknown };

/** The `projects` subcommand, its argument checked (and an import file read) before any store opens. */
function projectsActionOf(action: string | undefined, argument: string | undefined): ProjectsAction {
  if (action === 'list' || action === 'add') return { kind: action };
  if (action === 'remove') {
    if (!argument) throw new UsageError('projects remove needs <owner/repo>');
    return { kind: 'remove', repository: argument };
  }
  if (action === 'import') {
    if (!argument) throw new UsageError('projects import needs <file.json>');
    return { kind: 'import', content: readJsonFileOf(argument) };
  }
  throw new UsageError(`unknown projects command ${JSON.stringify(action ?? '')} (add, list, remove, import)`);
}

async function runLocally(which: JobName | 'all', options: { at?: Date; json: boolean; verbose: boolean; home: string }): Promise<number> {
  // Said before anything heavy loads: a synthesis can take seconds of silence otherwise.
  const { JobProgress, ProgressLines, progressModeOf, startupText } = await import('../lib/cli/progress.ts');
  const lines = new ProgressLines(
    process.stderr,
    progressModeOf(process.stderr, { verbose: options.verbose, noColor: process.env.NO_COLOR }),
  );
  const say = (text: string) => (lines.mode.live ? lines.status(text) : lines.line(text));
  const startupBegan = performance.now();
  say(`cto-jobs run ${which}: starting the local stack…`);
  const { LocalRuntime, withDemoWebhooks } = await import('../lib/local/runtime.ts');
  const { context: configured, config } = await localConfig();
  const github = localGitHub(config.github.apiUrl);
  // The demo GitHub always shows the webhook path: its organization hook delivers to the local endpoint.
  const context = github ? configured : withDemoWebhooks(configured);
  const jobs: JobName[] = which === 'all' ? (Object.keys(JOB_NAMES) as JobName[]) : [which];
  const { at } = options;
  const alertsFile = path.join(options.home, 'alerts.jsonl');
  const outboxDirectory = path.join(options.home, 'outbox');
  const runtime = await LocalRuntime.start({
    context,
    dataDirectory: path.join(options.home, 'dynamodb'),
    github,
    alertsFile,
    outboxDirectory,
    environment: reportOverrides(),
    // A synthesis's duration stays on screen; the other steps only pass by.
    onStartup: (step) => (step.step === 'synthesized' ? lines.line(startupText(step)) : say(startupText(step))),
  });
  lines.finish(`local stack ready in ${((performance.now() - startupBegan) / 1000).toFixed(1)} s`);
  const results: LocalRunResult[] = [];
  const health: DailySnapshot[] = [];
  let metrics: string | undefined;
  try {
    if (runtime.demoGitHub) {
      const demo = runtime.demoGitHub;
      lines.paragraph(`No GITHUB_TOKEN is set: syncing the built-in demo GitHub at ${demo.url} (made-up data), not github.com.`);
      if ((await runtime.stores.projects.listActive()).length === 0) {
        const added = await saveProjects(
          runtime.stores.projects,
          demo.repositoryNames().map((repository) => ({ repository })),
          new Date(),
        );
        lines.paragraph(`Registered the demo repositories as projects: ${added.map((line) => line.split(' ')[1]).join(', ')}`);
      }
    }
    for (const job of jobs) {
      if (job === 'hourly' && runtime.demoGitHub && runtime.webhooks) {
        const { openDemoIncident } = await import('../lib/local/demo-dataset.ts');
        const incident = await openDemoIncident(runtime.demoGitHub, new Date());
        await runtime.webhooks.queues.settled();
        const answer = incident.deliveries.map((delivery) => delivery.statusCode).join(', ');
        lines.paragraph(
          `The demo GitHub opened ${incident.repository}#${incident.number}, an unassigned critical bug, and delivered it signed ` +
            `to the local webhook endpoint (${answer}): the hourly figures below count it, with no sync since.`,
        );
      }
      const progress = new JobProgress(lines, JOB_NAMES[job], at ? `as scheduled at ${at.toISOString()}` : '(manual run)');
      const result = await runtime.runJob(job, { at, onStateChange: progress.onStateChange });
      progress.finish(succeeded(result), outcomeText(result));
      results.push(result);
      if (job === 'daily') health.push(...(await snapshotsOf(runtime, result.request.scheduledTime)));
      if (job === 'hourly') {
        // The run's own hour: after a replay of an earlier one (`--at`), not the latest hour's figures.
        const figures = metricsReport(await latestMetrics(runtime.stores, new Date(result.request.scheduledTime)), 5);
        const replay = result.run?.summary?.match(REPLAY_NOTE)?.[0];
        const delivery = replay
          ? `R${replay.slice(1)}: nothing was appended to ${alertsFile}.`
          : `Alert notifications the on-call topic would publish are appended to ${alertsFile}.`;
        metrics = `${figures}\n${paragraph(delivery)}`;
      }
    }
  } finally {
    await runtime.close();
  }
  const runs = results.flatMap((result) => (result.run ? [result.run] : []));
  if (options.json) console.log(JSON.stringify(runs, null, 2));
  else {
    console.log(`\n${runsTable(runs)}`);
    if (health.length > 0) console.log(`\nProject health (${HEALTH_FORMULA_VERSION}):\n${healthTable(health)}`);
    if (metrics) console.log(`\n${metrics}`);
    const report = results
      .find((result) => result.job === 'weekly')
      ?.run?.summary?.match(/report: ([^;]*(?:;[^;]*no email sent[^;]*)?)/)?.[1];
    if (report) {
      // Only a sent report went to the local SES endpoint; one with no recipients is only saved.
      console.log(`\n${paragraph(`Weekly report: ${report}.`)}`);
      console.log(paragraph(`Every report email is saved in ${outboxDirectory} (.html, .txt, .json).`));
      if (!report.includes('no email sent')) console.log('The emails went to the local SES endpoint.');
    }
    const dataDirectory = path.join(options.home, 'dynamodb');
    console.log(
      `\n${paragraph(`JobHistory and SyncEvents are kept in ${dataDirectory}; see \`npm run cto-jobs -- history\` and \`events\`.`)}`,
    );
  }
  return results.every(succeeded) ? 0 : 1;
}

/** A run that completed, or a duplicate delivery of one (which starts nothing). */
function succeeded(result: LocalRunResult): boolean {
  return result.decision === 'duplicate' || result.run?.status === 'completed';
}

/** How a run ended, for its progress line. */
function outcomeText(result: LocalRunResult): string {
  if (result.decision === 'duplicate') return 'duplicate delivery: already run, nothing started';
  const { run } = result;
  if (!run) return `execution ${result.execution.status}, no run recorded`;
  const duration = run.durationMs === undefined ? '' : ` in ${(run.durationMs / 1000).toFixed(1)} s`;
  const failure = run.errorName ? `: ${terminalText(`${run.errorName}: ${run.errorMessage ?? ''}`, 60)}` : '';
  return `${run.status}${duration}, ${run.recordsProcessed} records${failure}`;
}

/** Narrative text wrapped to the CLI's width. */
function paragraph(text: string): string {
  return wrap(text, TABLE_WIDTH).join('\n');
}

/** The CDK context and the configuration parsed from it, loaded only by the commands that need them. */
async function localConfig() {
  const [{ readCdkContext }, { CONFIG_CONTEXT_KEY, parseConfig }] = await Promise.all([
    import('../lib/local/runtime.ts'),
    import('../shared/config.ts'),
  ]);
  const context = readCdkContext(PROJECT_ROOT);
  return { context, config: parseConfig(context[CONFIG_CONTEXT_KEY], new Date()) };
}

/** Runs `use` with the local tables (in CTO_JOBS_HOME) or, with --aws, the deployed stack's. */
/**
 * The operator's word that a report was not delivered: `--confirm-not-delivered`, or a y on a terminal after seeing
 * what is known; anything else (no terminal, no answer) is a no.
 */
async function confirmedNotDelivered(known: readonly string[], confirmed: boolean): Promise<boolean> {
  console.log(known.join('\n'));
  if (confirmed) return true;
  if (!process.stdin.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question('Confirmed it was not delivered (SES sending activity, the recipients)? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** The stores a weekly report is built from, with the monitor whose success rates the watchdog judges. */
async function reportSources(stores: CliStores, config: Config) {
  const [{ CronMonitor }, { schedulesOf }] = await Promise.all([
    import('../shared/monitoring/cron-monitor.ts'),
    import('../shared/config.ts'),
  ]);
  const monitor = new CronMonitor(stores, {
    schedules: schedulesOf(config),
    thresholds: config.monitoring,
    budgetMinutes: config.jobTimeoutMinutes,
  });
  return { ...stores, monitor };
}

async function withStores(
  options: { aws: boolean; home: string; stackName: string },
  use: (stores: CliStores, config: Config) => Promise<number>,
): Promise<number> {
  const { context, config } = await localConfig();
  if (options.aws) {
    const { defaultClients, deployedStores } = await import('../lib/cli/deployed.ts');
    return use(await deployedStores(defaultClients(), options.stackName, config.retention), config);
  }
  // The tables alone: no command here runs a job, so none loads the state machine interpreter or the local SES.
  const { LocalTables } = await import('../lib/local/runtime.ts');
  const tables = await LocalTables.open({ context, dataDirectory: path.join(options.home, 'dynamodb') });
  try {
    return await use(tables.stores, config);
  } finally {
    await tables.close();
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
function localGitHub(configuredApiUrl: string): { apiUrl: string; token: string } | undefined {
  const token = process.env.GITHUB_TOKEN;
  if (!token) return undefined;
  return { token, apiUrl: process.env.GITHUB_API_URL ?? configuredApiUrl };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A usage error is one line, inert in a terminal (it may quote a file's content): no stack, no escape sequences.
    if (error instanceof UsageError) console.error(`cto-jobs: ${terminalText(error.message)}`);
    else if (error instanceof ConfigError || error instanceof InvalidDataError) console.error(`cto-jobs: ${error.message}`);
    else console.error(`cto-jobs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
