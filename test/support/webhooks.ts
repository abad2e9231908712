import { afterAll } from 'vitest';
import type { GitHubServer } from '../../lib/local/github-server.ts';
import { type LocalRuntime, type LocalWebhooks, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { GITHUB_TOKEN } from './daily.ts';
import { startTestRuntime } from './local-runtime.ts';

/**
 * The runtime of the calling webhook test file (call once, at its top level, with `await`): the stack with its
 * webhook endpoint, reading `github` with the test token and checking signatures against `secret`. The runtime and
 * `github` are closed after the file's tests.
 */
export async function useWebhookRuntime(
  github: GitHubServer,
  secret: string,
): Promise<{ runtime: LocalRuntime; webhooks: LocalWebhooks }> {
  const context = readCdkContext(PROJECT_ROOT);
  const runtime = await startTestRuntime({
    context: { ...context, ctoJobs: { ...(context.ctoJobs as object), webhooks: {} } },
    github: { apiUrl: github.url, token: GITHUB_TOKEN },
    environment: { [WEBHOOK_ENV.secret]: secret },
  });
  afterAll(async () => {
    await runtime.close();
    await github.close();
  });
  return { runtime, webhooks: runtime.webhooks! };
}
