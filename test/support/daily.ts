import { PROJECT_ROOT } from '../../lib/constructs/job-function.ts';
import { GitHubServer, type FakeIssue, type FakeRepository } from '../../lib/local/github-server.ts';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { newProject } from '../../shared/domain/project.ts';

export const GITHUB_TOKEN = 'test-token';

/** A local runtime whose GitHub is a loopback server holding `repositories`. */
export async function startDailyRuntime(repositories: FakeRepository[], environment: Record<string, string> = {}, configOverrides: Record<string, unknown> = {}) {
  const github = await GitHubServer.start({ token: GITHUB_TOKEN, repositories });
  const context = readCdkContext(PROJECT_ROOT);
  const runtime = await LocalRuntime.start({
    context: { ...context, ctoJobs: { ...(context.ctoJobs as object), ...configOverrides } },
    github: { apiUrl: github.url, token: GITHUB_TOKEN },
    environment: { GITHUB_RETRY_BASE_MS: '5', ...environment },
  });
  return { github, runtime };
}

/** Registers repositories as projects. */
export async function addProjects(runtime: LocalRuntime, ...repositories: string[]) {
  for (const repository of repositories) await runtime.stores.projects.save(newProject({ repository }, new Date('2026-11-01T00:00:00Z')));
}

/** `count` items of a repository, numbered from 1, each updated a minute after the previous one. */
export function generateIssues(count: number, start = Date.parse('2026-10-01T00:00:00Z'), kinds: (n: number) => Partial<FakeIssue> = () => ({})): FakeIssue[] {
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
