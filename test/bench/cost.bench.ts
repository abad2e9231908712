/**
 * `npm run bench:cost`: a monthly cost estimate from counted usage. Runs the synthesized daily, hourly and weekly
 * state machines against a loopback GitHub (50 ms a request) at two numbers of projects, counts each run's billed
 * usage (cost-meter.ts), fits `fixed + perProject x projects` through the two, scales to 25, 1,000 and 10,000
 * projects and to a month (30 daily, 720 hourly, 365/12/7 weekly runs), adds what the template costs whatever runs,
 * and prices it at us-east-1 list prices (cost-model.ts). Prints Markdown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { type FakeIssue, type FakeRepository, GitHubServer } from '../../lib/local/github-server.ts';
import { LocalRuntime, type RunJobOptions, readCdkContext } from '../../lib/local/runtime.ts';
import { synthesizeTemplate } from '../../lib/local/template.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { JOB_NAMES, type JobName } from '../../shared/domain/job-run.ts';
import { newProject } from '../../shared/domain/project.ts';
import { ENV } from '../../shared/environment.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { CostMeter, functionMemory, indexEntry, itemSize, type RunCount, tableSpecs } from './cost-meter.ts';
import {
  fitLinear,
  ITEM_LABELS,
  type Job,
  type LinearUsage,
  monthlyUsage,
  PRICES,
  PRICES_READ,
  priceUsage,
  RUNS_PER_MONTH,
  totalUsd,
  type Usage,
} from './cost-model.ts';

const TOKEN = 'bench-token';
/**
 * Projects in the two counted samples: 105 crosses a Distributed Map child (100 projects each), so the fit prices the
 * children at scale.
 */
const SAMPLES = [5, 105] as const;
const ITEMS_PER_PROJECT = 100;
/** One project in this many has 3 items changed before the counted daily run (20%, more than the issue's 5%). */
const CHANGED_EVERY = 5;
const GOALS = [
  { projects: 25, usd: 2.5 },
  { projects: 1_000, usd: 10 },
  { projects: 10_000, usd: 40 },
];
/** DynamoDB's storage overhead per item (and per index entry): https://aws.amazon.com/dynamodb/pricing/on-demand/ */
const ITEM_OVERHEAD_BYTES = 100;

function repositories(count: number): FakeRepository[] {
  const start = Date.parse('2026-09-01T00:00:00Z');
  return Array.from({ length: count }, (_, p) => ({
    fullName: `cost/repo-${p}`,
    id: p + 1,
    issues: Array.from({ length: ITEMS_PER_PROJECT }, (_, i): FakeIssue => {
      const time = new Date(start + (p * ITEMS_PER_PROJECT + i) * 60_000).toISOString().replace('.000', '');
      const pull = i % 3 === 0;
      const closed = i % 4 === 0;
      return {
        number: i + 1,
        title: `Item ${i + 1}`,
        state: closed ? 'closed' : 'open',
        labels: pull ? [] : ['bug', ['P0', 'P1', 'P2', 'P3'][i % 4]!],
        assignees: i % 5 === 0 ? [] : ['dev'],
        user: 'octocat',
        created_at: time,
        updated_at: time,
        closed_at: closed ? time : null,
        ...(pull ? { pull_request: { merged_at: closed ? time : null } } : {}),
      };
    }),
  }));
}

const context = readCdkContext(PROJECT_ROOT);
const repos = repositories(Math.max(...SAMPLES));
const github = await GitHubServer.start({ token: TOKEN, repositories: repos, latencyMs: 50, rateLimit: 1_000_000_000 });
const alertsDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-cost-'));
const alertsFile = path.join(alertsDirectory, 'alerts.jsonl');
const runtime = await LocalRuntime.start({
  context,
  github: { apiUrl: github.url, token: TOKEN },
  alertsFile,
  // As deployed: Powertools' default INFO level, metrics published.
  environment: { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' },
});
const template = await synthesizeTemplate(context, new Date());
const meter = new CostMeter(runtime.stack, functionMemory(template));
const tables = tableSpecs(runtime.stack);

/**
 * Runs `job` as if it ran at `at`: the schedule's time, and the writers' clock (the sync's, which stamps the hourly
 * aggregates it rebuilds) set to it, as when the runs happen at their hours. With the wall clock, a writer would
 * stamp its aggregates later than the hours the next runs judge, which then read those projects in full.
 */
function runAt(job: JobName, at: string, options: Omit<RunJobOptions, 'at'> = {}) {
  process.env[ENV.localClockOffsetMs] = String(Date.parse(at) - Date.now());
  return runtime.runJob(job, { at: new Date(at), retryIntervalMs: 0, waitMs: 0, ...options });
}

const alertLines = () => (fs.existsSync(alertsFile) ? fs.readFileSync(alertsFile, 'utf8').split('\n').filter(Boolean).length : 0);

/** Runs `job` at `at`, counted. */
async function countedRun(job: JobName, at: string): Promise<RunCount & { events: number }> {
  const machine = runtime.stack.stateMachines.get(JOB_NAMES[job])!;
  const published = alertLines();
  const { execution } = await runAt(job, at, meter.hooksFor(machine.definition));
  if (execution.status !== 'SUCCEEDED') throw new Error(`${job} ended ${execution.status}: ${execution.error} ${execution.cause}`);
  const { usage, metrics, writesByTarget } = meter.finish(execution.historyEventCount);
  // Each on-call message is one SNS publish; the topic's KMS key is asked for a data key at most once a publish.
  const publishes = alertLines() - published;
  return {
    usage: { ...usage, snsPublishes: publishes, kmsRequests: publishes },
    metrics,
    writesByTarget,
    events: execution.historyEventCount,
  };
}

/** Bytes the tables hold, as DynamoDB bills storage: each item with its overhead, and each index entry of it likewise. */
async function storedBytes(): Promise<number> {
  let total = 0;
  for (const { logicalId } of runtime.stack.tables) {
    const { keys, indexes } = tables.get(logicalId)!;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(new ScanCommand({ TableName: logicalId, ExclusiveStartKey: ExclusiveStartKey as never }));
      for (const item of page.Items ?? []) {
        const entries = [item, ...indexes.map((index) => indexEntry(item, index, keys))].filter((entry) => entry !== undefined);
        for (const entry of entries) total += itemSize(entry) + ITEM_OVERHEAD_BYTES;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return total;
}

const JOBS: Record<Job, JobName> = { daily: 'daily', hourlyAfterSync: 'hourly', hourly: 'hourly', weekly: 'weekly' };
/** When each counted run runs: 2026-11-30 is a Monday, the weekly report's slot. */
const COUNTED_AT: Record<Job, string> = {
  daily: '2026-11-30T02:00:00Z',
  hourlyAfterSync: '2026-11-30T03:00:00Z',
  hourly: '2026-11-30T04:00:00Z',
  weekly: '2026-11-30T09:00:00Z',
};
const byJob = <T>(): Record<Job, T[]> => ({ daily: [], hourlyAfterSync: [], hourly: [], weekly: [] });
const counted = byJob<{ projects: number; usage: Usage }>();
const writes = byJob<ReadonlyMap<string, number>>();
const stored: { projects: number; usage: Usage }[] = [];
const metrics = new Set<string>();
const historyEvents: string[] = [];
for (const [sample, projects] of SAMPLES.entries()) {
  await runtime.reset();
  for (const repo of repos.slice(0, projects)) await runtime.stores.projects.save(newProject({ repository: repo.fullName }, new Date()));
  // The first sync reads everything, and the first hourly run after it raises every alert the data holds; the month
  // is made of the runs after them.
  await runAt('daily', '2026-11-29T02:00:00Z');
  await runAt('hourly', '2026-11-30T01:00:00Z');
  for (let p = 0; p < projects; p += CHANGED_EVERY) {
    const repo = github.repository(`cost/repo-${p}`);
    const updated = new Date(Date.parse('2026-11-29T12:00:00Z') + sample * 60_000).toISOString().replace('.000', '');
    for (let i = 1; i <= 3; i++) repo.issues[i] = { ...repo.issues[i]!, title: `changed ${sample}`, updated_at: updated };
  }
  for (const job of Object.keys(JOBS) as Job[]) {
    const run = await countedRun(JOBS[job], COUNTED_AT[job]);
    counted[job].push({ projects, usage: run.usage });
    writes[job].push(run.writesByTarget);
    for (const metric of run.metrics) metrics.add(metric);
    historyEvents.push(`${job} at ${projects}: ${run.events}`);
  }
  const gb = (await storedBytes()) / 1e9;
  stored.push({ projects, usage: { dynamoStorageGbMonths: gb, dynamoBackupGbMonths: gb } });
}
await runtime.close();
await github.close();
fs.rmSync(alertsDirectory, { recursive: true, force: true });

// What the template costs a month whatever runs.
const resources = Object.values(template.Resources);
const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce((sum, alarm) => {
  const queries = alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
  return sum + (queries ? queries.filter((query) => query.MetricStat).length : 1);
}, 0);
const secrets = new Set(
  [...runtime.stack.functions.values()].flatMap((fn) => Object.entries(fn.environment).filter(([name]) => name.endsWith('_SECRET'))),
);
const standing: Usage = {
  customMetrics: metrics.size,
  alarmMetrics,
  dashboards: ofType('AWS::CloudWatch::Dashboard').length,
  kmsKeyMonths: ofType('AWS::KMS::Key').length,
  secretMonths: new Set([...secrets].map(([, value]) => value)).size,
};

const jobs = Object.fromEntries((Object.keys(JOBS) as Job[]).map((job) => [job, fitLinear(counted[job][0]!, counted[job][1]!)])) as Record<
  Job,
  LinearUsage
>;
const storage = fitLinear(stored[0]!, stored[1]!);
const LOG_RETENTION_MONTHS = 3; // the longest retention in the template (90 days), uncompressed: an upper bound
const month = (projects: number): Usage => {
  const usage = monthlyUsage(jobs, projects, { ...standing });
  const stateStorage = { dynamoStorageGbMonths: 0, dynamoBackupGbMonths: 0, ...storage.fixed };
  for (const item of ['dynamoStorageGbMonths', 'dynamoBackupGbMonths'] as const) {
    usage[item] = (stateStorage[item] ?? 0) + (storage.perProject[item] ?? 0) * projects;
  }
  usage.logStorageGbMonths = (usage.logIngestionGb ?? 0) * LOG_RETENTION_MONTHS;
  return usage;
};

meter.unmuteStdout();
const money = (usd: number) => (usd < 0.005 ? (usd === 0 ? '$0' : '<$0.01') : `$${usd.toFixed(2)}`);
/** A count as printed: whole above 100, else 3 significant digits; a fit's rounding noise (-2.8e-14) prints as 0. */
const figure = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : Math.abs(n) < 1e-9 ? '0' : n.toPrecision(3));
const columns = GOALS.map((goal) => ({ goal, usage: month(goal.projects) }));
const listed = columns.map(({ usage }) => priceUsage(usage, { freeTier: false }));
const free = columns.map(({ usage }) => priceUsage(usage, { freeTier: true }));

console.log(`Monthly cost estimate, us-east-1 list prices read ${PRICES_READ}; usage counted ${new Date().toISOString().slice(0, 10)}`);
console.log(`(Node ${process.version}; the state machines as synthesized from the working tree at this run)\n`);
console.log(`| item | ${GOALS.map((g) => `${g.projects.toLocaleString('en-US')} projects`).join(' | ')} |`);
console.log(`|---|${GOALS.map(() => '---:').join('|')}|`);
for (const [index, item] of (Object.keys(PRICES) as (keyof typeof PRICES)[]).entries()) {
  const cells = columns.map(({ usage }, column) => `${figure(usage[item] ?? 0)} = ${money(listed[column]![index]!.usd)}`);
  console.log(`| ${ITEM_LABELS[item]}${PRICES[item].fromMemory ? ' *' : ''} | ${cells.join(' | ')} |`);
}
const listedTotals = listed.map((l) => `**${money(totalUsd(l))}**`).join(' | ');
console.log(`| **total, list price** (custom and alarm metrics beyond the 10 free) | ${listedTotals} |`);
console.log(`| total after the always-free tiers | ${free.map((l) => money(totalUsd(l))).join(' | ')} |`);
const verdicts = GOALS.map((g, i) => `<= $${g.usd.toFixed(2)}: ${totalUsd(listed[i]!) <= g.usd ? 'met' : '**not met**'}`);
console.log(`| goal (list price) | ${verdicts.join(' | ')} |`);
console.log('\n\\* price from memory: the pricing page renders its figures client-side and was not read this session.\n');

console.log('Per run, counted at the two samples and fitted as fixed + per project x projects:\n');
console.log(
  '| job (runs a month) | state transitions | Express requests | Lambda requests | GB-seconds | read units | write units | log bytes |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const job of Object.keys(JOBS) as Job[]) {
  const { fixed, perProject } = jobs[job];
  const cell = (item: keyof Usage, scale = 1) => `${figure((fixed[item] ?? 0) * scale)} + ${figure((perProject[item] ?? 0) * scale)} n`;
  const runs = RUNS_PER_MONTH[job].toFixed(job === 'weekly' ? 2 : 0);
  console.log(
    `| ${job} (${runs}) | ${cell('stateTransitions')} | ${cell('expressRequests')} | ${cell('lambdaRequests')} | ` +
      `${cell('lambdaArmGbSeconds')} | ${cell('dynamoReadUnits')} | ${cell('dynamoWriteUnits')} | ${cell('logIngestionGb', 1e9)} |`,
  );
}
console.log('\nWrite units per run by table and index (`Table/index`), fitted as fixed + per project x projects:\n');
console.log('| job | where | write units a run |');
console.log('|---|---|---:|');
for (const job of Object.keys(JOBS) as Job[]) {
  const [small, large] = writes[job] as [ReadonlyMap<string, number>, ReadonlyMap<string, number>];
  const targets = [...new Set([...small.keys(), ...large.keys()])].sort();
  for (const target of targets) {
    const [a, b] = [small.get(target) ?? 0, large.get(target) ?? 0];
    const slope = (b - a) / (SAMPLES[1] - SAMPLES[0]);
    console.log(`| ${job} | ${target} | ${figure(b - slope * SAMPLES[1])} + ${figure(slope)} n |`);
  }
}
console.log(`\nHistory events per counted run: ${historyEvents.join('; ')}.`);
console.log(`Fixed items: ${JSON.stringify(standing)}; custom metrics published: ${[...metrics].sort().join(', ')}`);
