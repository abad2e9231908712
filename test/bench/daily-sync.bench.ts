/**
 * `npm run bench`: the daily sync through the synthesized state machine, against a loopback GitHub that
 * adds 50 ms to every request, beside a naive baseline measured in the same run (projects one after
 * another, every issue re-fetched on every run, as the original Vercel job did); then the next day's run over
 * BENCH_DAILY_PROJECTS projects (10,000 unless set), 5% of them changed, with its quotas, pace and points. Prints
 * Markdown tables. At 900 requests a minute 10,000 projects take at least 11 minutes.
 */

import { type FakeIssue, type FakeRepository, GitHubServer } from '../../lib/local/github-server.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';

type Runtime = LocalRuntime;

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { DEFAULT_REVENUE_IMPACT, newProject, projectIdOf } from '../../shared/domain/project.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../../shared/domain/work-item.ts';
import { createGitHubClient } from '../../shared/github/client.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';

const LATENCY_MS = 50;
const TOKEN = 'bench-token';
/** The daily run's budget (jobTimeoutMinutes) for this benchmark: 10,000 projects need more than the default 9. */
const JOB_TIMEOUT_MINUTES = 30;
const BUDGET_MS = JOB_TIMEOUT_MINUTES * 60_000;
const MANY_PROJECTS = Number(process.env.BENCH_DAILY_PROJECTS ?? 10_000);
/** Items of each of the many projects: one page each. */
const ITEMS_PER_MANY = 3;

interface Measure {
  readonly label: string;
  readonly wallMs: number;
  readonly requests: number;
  readonly points: number;
}

function repositories(prefix: string, projects: number, itemsPerProject: number): FakeRepository[] {
  const start = Date.parse('2026-09-01T00:00:00Z');
  return Array.from({ length: projects }, (_, p) => ({
    fullName: `${prefix}/repo-${p}`,
    id: p + 1,
    issues: Array.from({ length: itemsPerProject }, (_, i): FakeIssue => {
      const time = new Date(start + (p * itemsPerProject + i) * 60_000).toISOString().replace('.000', '');
      const pull = i % 3 === 0;
      return {
        number: i + 1,
        title: `Item ${i + 1}`,
        state: i % 4 === 0 ? 'closed' : 'open',
        labels: pull ? [] : ['bug', ['P0', 'P1', 'P2', 'P3'][i % 4]!],
        assignees: i % 5 === 0 ? [] : ['dev'],
        user: 'octocat',
        created_at: time,
        updated_at: time,
        closed_at: i % 4 === 0 ? time : null,
        ...(pull ? { pull_request: { merged_at: i % 4 === 0 ? time : null } } : {}),
      };
    }),
  }));
}

async function measure(label: string, github: GitHubServer, work: () => Promise<unknown>): Promise<Measure> {
  github.clearRequests();
  const pointsBefore = github.rateLimitRemaining;
  const started = performance.now();
  await work();
  return {
    label,
    wallMs: performance.now() - started,
    requests: github.requests.length,
    points: pointsBefore - github.rateLimitRemaining,
  };
}

/** The baseline: each project in turn, all its issues fetched again, every item written with its own put. */
async function naiveSync(runtime: Runtime, github: GitHubServer): Promise<void> {
  const client = createGitHubClient({ baseUrl: github.url, token: TOKEN });
  for (const project of await runtime.stores.projects.listActive()) {
    const [owner, repo] = project.fullName.split('/') as [string, string];
    const issues = await client.paginate('GET /repos/{owner}/{repo}/issues', { owner, repo, state: 'all', per_page: 100 });
    const items = GitHubIssuePageSchema.parse(issues).map((issue) =>
      toWorkItem(project.projectId, issue, DEFAULT_BUG_RULES, project.revenueDefaults),
    );
    for (const item of items) await documentClient.send(new PutCommand({ TableName: runtime.stores.items.tableName, Item: item }));
  }
}

/** Registers exactly these repositories as the projects, on empty tables. */
async function useProjects(runtime: Runtime, repos: readonly FakeRepository[]): Promise<void> {
  await runtime.reset();
  for (const repo of repos) await runtime.stores.projects.save(newProject({ repository: repo.fullName }, new Date()));
}

/**
 * The next day's state of `repos` without a first sync through the job (11 minutes more at 10,000): each project's
 * first page read as the sync reads it, its items stored, its ETag kept, 20 requests at once.
 */
async function seedSyncedProjects(runtime: Runtime, github: GitHubServer, repos: readonly FakeRepository[]): Promise<void> {
  const client = createGitHubClient({ baseUrl: github.url, token: TOKEN });
  let next = 0;
  const seed = async () => {
    for (let index = next++; index < repos.length; index = next++) {
      const fullName = repos[index]!.fullName;
      const [owner, repo] = fullName.split('/') as [string, string];
      const { data, headers } = await client.request('GET /repos/{owner}/{repo}/issues', {
        owner,
        repo,
        state: 'all',
        sort: 'updated',
        direction: 'asc',
        per_page: 100,
        page: 1,
      });
      const projectId = projectIdOf(fullName);
      const items = GitHubIssuePageSchema.parse(data).map((issue) =>
        toWorkItem(projectId, issue, DEFAULT_BUG_RULES, DEFAULT_REVENUE_IMPACT),
      );
      await runtime.stores.items.upsert(items, { soleWriter: true });
      await runtime.stores.projects.saveSyncState(projectId, { page: 1, etag: headers.etag, lastSyncedAt: new Date().toISOString() });
    }
  };
  await Promise.all(Array.from({ length: 20 }, seed));
}

/** The most requests GitHub received within any 60 s, from counts sampled every 100 ms while `work` runs. */
async function busiestMinute<T>(github: GitHubServer, work: () => Promise<T>): Promise<{ result: T; requestsPerMinute: number }> {
  const samples: { at: number; count: number }[] = [];
  const sample = () => samples.push({ at: performance.now(), count: github.requests.length });
  sample();
  const sampler = setInterval(sample, 100);
  const result = await work();
  clearInterval(sampler);
  sample();
  let most = 0;
  let start = 0;
  for (const end of samples) {
    while (end.at - samples[start]!.at > 60_000) start++;
    most = Math.max(most, end.count - samples[start]!.count);
  }
  return { result, requestsPerMinute: most };
}

const row = (m: Measure) => `| ${m.label} | ${(m.wallMs / 1000).toFixed(1)} s | ${m.requests} | ${m.points} |`;
let slot = Date.parse('2026-11-28T02:00:00Z');
/** Runs the daily job at the next day's slot. */
const daily = (runtime: Runtime) => {
  slot += 86_400_000;
  return runtime.runJob('daily', { at: new Date(slot), retryIntervalMs: 0 });
};
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const smallSet = repositories('small', 25, 400);
const manySet = repositories('many', MANY_PROJECTS, ITEMS_PER_MANY);
// One runtime per process (handlers create their clients once), so one GitHub holds both sets.
const github = await GitHubServer.start({
  token: TOKEN,
  repositories: [...smallSet, ...manySet],
  latencyMs: LATENCY_MS,
  rateLimit: 1_000_000_000,
});
const context = readCdkContext(PROJECT_ROOT);
const runtime = await LocalRuntime.start({
  context: { ...context, ctoJobs: { ...(context.ctoJobs as object), jobTimeoutMinutes: JOB_TIMEOUT_MINUTES } },
  github: { apiUrl: github.url, token: TOKEN },
});

await useProjects(runtime, smallSet);
const oursFull = await measure('cto-jobs, first full sync', github, () => daily(runtime));
const oursIncremental = await measure('cto-jobs, next run, nothing changed', github, () => daily(runtime));
await useProjects(runtime, smallSet);
const naiveFull = await measure('naive baseline, first run', github, () => naiveSync(runtime, github));
const naiveAgain = await measure('naive baseline, next run, nothing changed', github, () => naiveSync(runtime, github));
const small = { oursFull, oursIncremental, naiveFull, naiveAgain };

await useProjects(runtime, manySet);
await seedSyncedProjects(runtime, github, manySet);
// 5% of the projects change: 3 items each.
const changed = new Set<string>();
for (let p = 0; p < manySet.length; p += 20) {
  const repo = github.repository(`many/repo-${p}`);
  changed.add(repo.fullName);
  for (let i = 0; i < 3; i++) repo.issues[i] = { ...repo.issues[i]!, title: 'changed', updated_at: '2026-11-27T12:00:00Z' };
}
let many: Awaited<ReturnType<typeof daily>> | undefined;
let requestsPerMinute = 0;
const large = await measure(`cto-jobs, ${MANY_PROJECTS.toLocaleString('en-US')} projects, 5% changed`, github, async () => {
  ({ result: many, requestsPerMinute } = await busiestMinute(github, () => daily(runtime)));
});
const pointsOnUnchanged = github.requests.filter((request) => {
  const repository = /^\/repos\/([^/]+\/[^/]+)\/issues/.exec(request.path)?.[1];
  return repository !== undefined && !changed.has(repository) && request.status === 200;
}).length;
await runtime.close();
await github.close();
clearInterval(sampler);

console.log(`Daily sync benchmark: loopback GitHub with ${LATENCY_MS} ms per request, dynalite, Node ${process.version}\n`);
console.log('| run (25 projects x 400 issues/PRs) | wall | requests | primary rate-limit points |');
console.log('|---|---|---|---|');
for (const m of [small.oursFull, small.naiveFull, small.oursIncremental, small.naiveAgain]) console.log(row(m));
console.log(`\nFirst full sync: ${(small.naiveFull.wallMs / small.oursFull.wallMs).toFixed(1)}x faster than the baseline (target >= 3x).`);
const incrementalSpeedUp = (small.naiveAgain.wallMs / small.oursIncremental.wallMs).toFixed(1);
console.log(
  `Next run, nothing changed: ${incrementalSpeedUp}x faster (target >= 10x), ${small.oursIncremental.points} primary points (target 0).`,
);
const budgetColumn = `${JOB_TIMEOUT_MINUTES}-minute budget used`;
console.log(`\n| run | wall | requests | primary rate-limit points | ${budgetColumn} |\n|---|---|---|---|---|`);
console.log(`${row(large)} ${((large.wallMs / BUDGET_MS) * 100).toFixed(0)}% |`);
const { execution, run } = many!;
const largestChild = Math.max(0, ...execution.children.map((child) => child.historyEventCount));
const largestPayload = Math.max(execution.largestPayloadBytes, ...execution.children.map((child) => child.largestPayloadBytes));
const failedChildren = execution.children.filter((child) => child.status !== 'SUCCEEDED').length;
console.log(`\nThe ${MANY_PROJECTS.toLocaleString('en-US')}-project run: ${execution.status}, run ${run?.status}, ${run?.summary}`);
console.log(`- child executions: ${execution.children.length} (Express), ${failedChildren} failed`);
console.log(`- history events: parent ${execution.historyEventCount}, largest child ${largestChild} (Standard limit 25,000)`);
console.log(`- largest payload: ${largestPayload.toLocaleString('en-US')} bytes (limit 262,144)`);
console.log(`- requests in the busiest minute: ${requestsPerMinute} (pacing: 900)`);
console.log(`- primary points on unchanged repositories: ${pointsOnUnchanged} (target 0); changed ones: ${changed.size}`);
console.log(`\nPeak RSS of the whole benchmark process: ${(peakRss / 1024 / 1024).toFixed(0)} MiB.`);
