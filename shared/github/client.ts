/**
 * The Octokit client: GitHub.com or an Enterprise Server (`baseUrl`), with the throttling and retry
 * plugins. No rate limit is waited out at length inside a Lambda: the primary limit's reset can be an
 * hour away, and a secondary limit without `retry-after` asks for at least a minute. The request fails,
 * and the sync ends its chunk with the time to resume, which Step Functions waits for (or the next run).
 * Only a short `retry-after` (at most {@link MAX_IN_PROCESS_WAIT_SECONDS} s) is waited for here, once.
 *
 * Every request carries the token the secret holds now (see {@link Secret}), so a rotated token is used
 * without rebuilding the client. A request refused with 401 reads the secret again, one read for all the
 * requests refused with the same token: when it holds another token (rotated mid-run, or replaced by an
 * operator after a revoked one), the request is sent once more with it. Only a token the secret still holds
 * is refused for good, which fails the run (AuthError).
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import { logger } from '../logger.ts';
import type { Secret } from '../secret.ts';

// Marked pure so a bundle whose handler never talks to GitHub drops Octokit (shared/dependencies.ts imports this module).
export const GitHub = /* @__PURE__ */ Octokit.plugin(throttling, retry);

/**
 * Whose primary rate limit a client's requests spend: `token` for the personal token, `installation:<id>` for a
 * GitHub App installation (each installation has its own). Stable across runs, so budgets can be keyed on it.
 */
export type BudgetKey = 'token' | `installation:${number}`;

/** An Octokit whose requests carry one credential, and the budget that credential spends. */
export type GitHubClient = InstanceType<typeof GitHub> & { readonly budgetKey: BudgetKey };

/**
 * The longest secondary-limit wait spent inside a request: well within the 30 s a sync chunk keeps back
 * from its function's timeout.
 */
export const MAX_IN_PROCESS_WAIT_SECONDS = 10;

/**
 * Statuses never retried by @octokit/plugin-retry: its defaults, plus 429. GitHub answers a spent or
 * secondary rate limit with 403 or 429; the throttling plugin handles both, and plugin-retry's default
 * would otherwise send a refused 429 three more times (1, 4, 9 s apart) while the limit holds.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

export interface GitHubClientOptions {
  readonly baseUrl: string;
  /** A fixed token, or the secret that holds it (or mints it: a GitHub App installation's token). */
  readonly token: string | Secret;
  /** Whose rate limit the token spends. @default 'token' */
  readonly budgetKey?: BudgetKey;
  /** Milliseconds per second of `retry-after` and of retry backoff; tests shrink it. @default 1000 */
  readonly retryAfterBaseValue?: number;
}

/**
 * Octokit's options for this system: the user agent, quiet logs, and rate limits never waited out at length.
 * @param retryAfterBaseValue milliseconds per second of `retry-after` and of retry backoff.
 */
export function gitHubOptions(baseUrl: string, retryAfterBaseValue = 1000) {
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent: 'cto-dashboard-jobs',
    // Octokit logs every error response by default; the sync records what matters itself.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.debug(message),
      error: (message: string) => logger.debug(message),
    },
    throttle: {
      retryAfterBaseValue,
      onRateLimit: () => false,
      // Without retry-after the plugin passes its 60 s fallback, which is never waited for here.
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount === 0 && retryAfter <= MAX_IN_PROCESS_WAIT_SECONDS,
    },
    retry: { retryAfterBaseValue, doNotRetry: DO_NOT_RETRY },
  };
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const github = new GitHub(gitHubOptions(options.baseUrl, options.retryAfterBaseValue));
  const { token } = options;
  const secret: Secret = typeof token === 'string' ? Object.assign(async () => token, { reread: async () => token }) : token;
  // Registered last, so it wraps the throttling and retry plugins: it sees a 401 they have given up on. The
  // hooks inside share this request's options object, so the header is set on it, not on a copy.
  github.hook.wrap('request', async (request, requestOptions) => {
    const taken = secret();
    const used = await taken;
    const withToken = (value: string) => {
      requestOptions.headers.authorization = `token ${value}`;
      return request(requestOptions);
    };
    try {
      return await withToken(used);
    } catch (error) {
      if (!(error instanceof RequestError) || error.status !== 401) throw error;
      // Requests refused together share one read of the secret (see Secret.reread).
      const fresh = await secret.reread(taken);
      if (fresh === used) throw error;
      return withToken(fresh);
    }
  });
  return Object.assign(github, { budgetKey: options.budgetKey ?? 'token' });
}
