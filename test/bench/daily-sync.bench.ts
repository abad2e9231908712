/**
 * `npm run bench`: the daily sync through the synthesized state machine, against a loopback GitHub that
 * adds 50 ms to every request, beside a naive baseline measured in the same run (projects one after
 * another, every issue re-fetched on every run, as the original Vercel job did). Prints a Markdown table.
 */

import { type FakeIssue, type FakeRepository, GitHubServer } from '../../lib/local/github-server.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';

type Runtime = LocalRuntime;

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { newProject } from '../../shared/domain/project.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../../shared/domain/work-item.ts';
import { createGitHubClient } from '../../shared/github/client.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';

const LATENCY_MS = 50;
const TOKEN = 'bench-token';
const BUDGET_MS = 9 * 60_000;

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
const largeSet = repositories('large', 1000, 30);
// One runtime per process (handlers create their clients once), so one GitHub holds both sets.
const github = await GitHubServer.start({
  token: TOKEN,
  repositories: [...smallSet, ...largeSet],
  latencyMs: LATENCY_MS,
  rateLimit: 1_000_000_000,
});
const runtime = await LocalRuntime.start({ context: readCdkContext(PROJECT_ROOT), github: { apiUrl: github.url, token: TOKEN } });

await useProjects(runtime, smallSet);
const oursFull = await measure('cto-jobs, first full sync', github, () => daily(runtime));
const oursIncremental = await measure('cto-jobs, next run, nothing changed', github, () => daily(runtime));
await useProjects(runtime, smallSet);
const naiveFull = await measure('naive baseline, first run', github, () => naiveSync(runtime, github));
const naiveAgain = await measure('naive baseline, next run, nothing changed', github, () => naiveSync(runtime, github));
const small = { oursFull, oursIncremental, naiveFull, naiveAgain };

await useProjects(runtime, largeSet);
await daily(runtime);
// 5% of the projects change: 3 items each.
for (let p = 0; p < largeSet.length; p += 20) {
  const repo = github.repository(`large/repo-${p}`);
  for (let i = 0; i < 3; i++) repo.issues[i] = { ...repo.issues[i]!, title: 'changed', updated_at: '2026-11-27T12:00:00Z' };
}
const large = await measure('cto-jobs, 1,000 projects, 5% changed', github, () => daily(runtime));
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
console.log(`\n| run | wall | requests | primary rate-limit points | 9-minute budget used |\n|---|---|---|---|---|`);
console.log(`${row(large)} ${((large.wallMs / BUDGET_MS) * 100).toFixed(0)}% |`);
console.log(`\nPeak RSS of the whole benchmark process: ${(peakRss / 1024 / 1024).toFixed(0)} MiB.`);
