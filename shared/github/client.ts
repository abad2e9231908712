/**
 * The Octokit client: GitHub.com or an Enterprise Server (`baseUrl`), with the throttling and retry
 * plugins. Secondary rate limits are waited out (GitHub's `retry-after`); the primary limit is never
 * waited for inside a Lambda (its reset can be an hour away): the request fails and the sync stops
 * cleanly with its progress saved.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { logger } from '../logger.ts';

export const GitHub = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** Milliseconds per second of `retry-after` and of retry backoff; tests shrink it. @default 1000 */
  readonly retryAfterBaseValue?: number;
  /** Retries of a request refused by a secondary rate limit. @default 3 */
  readonly secondaryLimitRetries?: number;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const base = options.retryAfterBaseValue ?? 1000;
  return new GitHub({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'cto-dashboard-jobs',
    // Octokit logs every error response by default; the sync records what matters itself.
    log: { debug: () => {}, info: () => {}, warn: (message: string) => logger.debug(message), error: (message: string) => logger.debug(message) },
    throttle: {
      retryAfterBaseValue: base,
      onRateLimit: () => false,
      onSecondaryRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < (options.secondaryLimitRetries ?? 3),
    },
    retry: { retryAfterBaseValue: base },
  });
}
