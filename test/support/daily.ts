import { afterAll, beforeEach } from 'vitest';
import { type ExecutionOutcome, redriveExecution, type StateChange } from '../../lib/local/execute.ts';
import { type FakeIssue, type FakeRepository, GitHubServer } from '../../lib/local/github-server.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { JOB_NAMES } from '../../shared/domain/job-run.ts';
import { newProject } from '../../shared/domain/project.ts';

export const GITHUB_TOKEN = 'test-token';

/** A local runtime whose GitHub is a loopback server holding `repositories`. */
export async function startDailyRuntime(
  repositories: FakeRepository[],
  environment: Record<string, string> = {},
  configOverrides: Record<string, unknown> = {},
) {
  const github = await GitHubServer.start({ token: GITHUB_TOKEN, repositories });
  const context = readCdkContext(PROJECT_ROOT);
  const runtime = await LocalRuntime.start({
    context: { ...context, ctoJobs: { ...(context.ctoJobs as object), ...configOverrides } },
    github: { apiUrl: github.url, token: GITHUB_TOKEN },
    environment: { GITHUB_RETRY_BASE_MS: '5', ...environment },
  });
  return { github, runtime };
}

/**
 * The daily runtime of the calling test file (call once, at its top level, with `await`), closed after
 * its tests. Each test starts from empty tables, a GitHub with no recorded requests nor injected faults,
 * a full rate limit and the test token.
 */
export async function useDailyRuntime(...args: Parameters<typeof startDailyRuntime>) {
  const { github, runtime } = await startDailyRuntime(...args);
  afterAll(async () => {
    await runtime.close();
    await github.close();
  });
  beforeEach(async () => {
    await runtime.reset();
    github.clearRequests();
    github.clearFaults();
    github.setToken(GITHUB_TOKEN);
    github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
  });
  return {
    github,
    runtime,
    /** The numbers GitHub holds for a repository, and those stored, each sorted. */
    setsOf: async (fullName: string) => {
      const stored = (await runtime.stores.items.listForProject(fullName)).map((item) => item.number).sort((a, b) => a - b);
      const held = github
        .repository(fullName)
        .issues.map((issue) => issue.number)
        .sort((a, b) => a - b);
      return { stored, held };
    },
  };
}

/** Options of a daily run in tests: no pause between retries, nor for a rate limit's reset. */
export const fast = { retryIntervalMs: 0, waitMs: 0 };

/** Redrives a daily execution (RedriveExecution), fast, reporting its state changes. */
export function redriveDaily(runtime: LocalRuntime, execution: ExecutionOutcome, onStateChange: (change: StateChange) => void) {
  return redriveExecution(runtime.stack, execution, {
    ...fast,
    stateMachineArn: runtime.stack.stateMachines.get(JOB_NAMES.daily)!.arn,
    onStateChange,
  });
}

let slot = 0;
/** A schedule slot for each run, a day after the previous one. */
export const nextSlot = () => new Date(Date.parse('2026-11-28T02:00:00Z') + slot++ * 86_400_000);

/** Registers repositories as projects. */
export async function addProjects(runtime: LocalRuntime, ...repositories: string[]) {
  for (const repository of repositories) await runtime.stores.projects.save(newProject({ repository }, new Date('2026-11-01T00:00:00Z')));
}

/** `count` items of a repository, numbered from 1, each updated a minute after the previous one. */
export function generateIssues(
  count: number,
  start = Date.parse('2026-10-01T00:00:00Z'),
  kinds: (n: number) => Partial<FakeIssue> = () => ({}),
): FakeIssue[] {
  return Array.from({ length: count }, (_, i) => {
    const time = new Date(start + i * 60_000).toISOString().replace('.000', '');
    return {
      number: i + 1,
      title: `Item ${i + 1}`,
      state: 'open' as const,
      labels: ['bug'],
      assignees: ['dev'],
      user: 'octocat',
      created_at: time,
      updated_at: time,
      closed_at: null,
      ...kinds(i + 1),
    };
  });
}
