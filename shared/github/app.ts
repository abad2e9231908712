/**
 * GitHub App authentication: the app signs a JWT with its private key (read from Secrets Manager), lists its
 * installations and mints each one's installation token through @octokit/auth-app, which caches a token for
 * 59 minutes of its hour and mints the next one after that. Each installation gets its own client, with its own
 * budget (`installation:<id>`), and each repository is read through the installation that can see it: the
 * installations' repositories are listed once per container (again when a repository is not found in them).
 */
import { createAppAuth } from '@octokit/auth-app';
import { RequestError } from '@octokit/request-error';
import { AuthError, ConfigError, RepositoryNotFoundError, TransientError } from '../errors.ts';
import type { Secret } from '../secret.ts';
import { type BudgetKey, createGitHubClient, GitHub, type GitHubClient, gitHubOptions } from './client.ts';

export interface GitHubAppOptions {
  readonly baseUrl: string;
  readonly appId: number;
  /** The app's private key (PEM). */
  readonly privateKey: Secret;
  /** The installations to use; every installation of the app when absent. */
  readonly installationIds?: readonly number[];
  /** Milliseconds per second of `retry-after` and of retry backoff; tests shrink it. @default 1000 */
  readonly retryAfterBaseValue?: number;
  /** The clock that spaces listings (see {@link RELIST_AFTER_MS}). @default Date.now */
  readonly clock?: () => number;
}

/**
 * A repository no installation sees makes the installations be listed again, at most once a minute: a run's unseen
 * repositories share one listing (each costs a request per 100 repositories of each installation).
 */
export const RELIST_AFTER_MS = 60_000;

/** What picks a repository's installation: its id (kept by a rename or transfer) when known, else its name. */
export interface RepositoryRef {
  readonly fullName: string;
  readonly repositoryId?: number;
}

/** Which installation sees which repository, by repository id and by lower-case full name. */
interface Assignment {
  readonly installations: readonly Installation[];
  readonly byId: ReadonlyMap<number, Installation>;
  readonly byName: ReadonlyMap<string, Installation>;
}

interface Installation {
  readonly id: number;
  readonly account: string;
  readonly client: GitHubClient;
}

type AppAuth = ReturnType<typeof createAppAuth>;

/** The budget of an installation's token. */
export function installationBudgetKey(installationId: number): BudgetKey {
  return `installation:${installationId}`;
}

export class GitHubApp {
  private app?: Promise<{ readonly octokit: InstanceType<typeof GitHub>; readonly auth: AppAuth }>;
  private assignment?: { readonly listing: Promise<Assignment>; readonly startedAt: number };
  private readonly clients = new Map<number, GitHubClient>();

  constructor(private readonly options: GitHubAppOptions) {}

  /**
   * The client of the installation that can see the repository.
   * @throws RepositoryNotFoundError naming the repository when no installation sees it, even after listing them again.
   */
  async clientFor(repository: RepositoryRef): Promise<GitHubClient> {
    const found = installationOf(await this.assigned(), repository);
    if (found) return found.client;
    // Installed on it since the listing was made? A listing made in the last minute already answers that.
    const fresh = installationOf(await this.assigned(true), repository);
    if (fresh) return fresh.client;
    const ids = (await this.assigned()).installations.map((installation) => installation.id).join(', ') || 'none';
    throw new RepositoryNotFoundError(
      `no installation of GitHub App ${this.options.appId} can see ${repository.fullName} (installations: ${ids}): ` +
        'install the app on its owner or give the installation access to the repository',
    );
  }

  /**
   * The client of the installation on an account (an org's, for discovery); without one, of the first installation.
   * @throws ConfigError when the app has no installation there.
   */
  async clientForAccount(account?: string): Promise<GitHubClient> {
    const { installations } = await this.assigned();
    const found = account
      ? installations.find((installation) => installation.account.toLowerCase() === account.toLowerCase())
      : installations[0];
    if (!found) {
      throw new ConfigError(`GitHub App ${this.options.appId} has no installation${account ? ` on ${account}` : ''}`);
    }
    return found.client;
  }

  /**
   * The app's installations and their repositories, listed once; `again` lists them anew unless the listing in hand
   * started less than {@link RELIST_AFTER_MS} ago (or is still under way). A failed listing is not kept.
   */
  private assigned(again = false): Promise<Assignment> {
    const now = (this.options.clock ?? Date.now)();
    if (!this.assignment || (again && now - this.assignment.startedAt >= RELIST_AFTER_MS)) {
      const entry = { listing: this.listAssignment(), startedAt: now };
      this.assignment = entry;
      entry.listing.catch(() => {
        if (this.assignment === entry) this.assignment = undefined;
      });
    }
    return this.assignment.listing;
  }

  private async listAssignment(): Promise<Assignment> {
    const { octokit } = await this.authenticated();
    const listed = await everyPage(
      (page) => octokit.request('GET /app/installations', { per_page: 100, page }),
      (data) => data,
      'the installations of the app',
    );
    const wanted = this.options.installationIds;
    const missing = wanted?.filter((id) => !listed.some((installation) => installation.id === id)) ?? [];
    if (missing.length > 0) {
      throw new ConfigError(
        `github.app.installationIds: ${missing.join(', ')} ${missing.length > 1 ? 'are not installations' : 'is not an installation'} ` +
          `of GitHub App ${this.options.appId} (it has ${listed.map((installation) => installation.id).join(', ') || 'none'})`,
      );
    }
    const installations = listed
      .filter((installation) => !wanted || wanted.includes(installation.id))
      .map((installation) => ({
        id: installation.id,
        account: installation.account && 'login' in installation.account ? installation.account.login : '',
        client: this.installationClient(installation.id),
      }));
    const byId = new Map<number, Installation>();
    const byName = new Map<string, Installation>();
    for (const installation of installations) {
      const repositories = await everyPage(
        (page) => installation.client.request('GET /installation/repositories', { per_page: 100, page }),
        (data) => data.repositories,
        `the repositories of installation ${installation.id}`,
      );
      for (const repository of repositories) {
        byId.set(Number(repository.id), installation);
        byName.set(repository.full_name.toLowerCase(), installation);
      }
    }
    return { installations, byId, byName };
  }

  /** The client of an installation, made once: its token is minted on its first request and renewed by auth-app. */
  private installationClient(installationId: number): GitHubClient {
    let client = this.clients.get(installationId);
    if (!client) {
      client = createGitHubClient({
        baseUrl: this.options.baseUrl,
        token: installationToken(() => this.authenticated(), installationId),
        budgetKey: installationBudgetKey(installationId),
        retryAfterBaseValue: this.options.retryAfterBaseValue,
      });
      this.clients.set(installationId, client);
    }
    return client;
  }

  /**
   * The app's own Octokit: its `/app` requests carry the JWT, and its `auth` mints installation tokens. Given as the
   * auth strategy, so auth-app's hook sits innermost, under the throttling and retry plugins (it needs the bare request).
   */
  private authenticated() {
    this.app ??= (async () => {
      const octokit = new GitHub({
        ...gitHubOptions(this.options.baseUrl, this.options.retryAfterBaseValue),
        authStrategy: createAppAuth,
        auth: { appId: this.options.appId, privateKey: await this.options.privateKey(), log: { warn: () => {} } },
      });
      return { octokit, auth: octokit.auth as AppAuth };
    })();
    this.app.catch(() => {
      this.app = undefined;
    });
    return this.app;
  }
}

function installationOf(assignment: Assignment, repository: RepositoryRef): Installation | undefined {
  const byId = repository.repositoryId === undefined ? undefined : assignment.byId.get(repository.repositoryId);
  return byId ?? assignment.byName.get(repository.fullName.toLowerCase());
}

/**
 * An installation's token as a {@link Secret}: auth-app's cached token (minted when none is, or when the cached one is
 * within a minute of its hour). After a 401, the refused token is dropped once: a new one is minted, and every request
 * refused with the same token shares it.
 */
function installationToken(app: () => Promise<{ readonly auth: AppAuth }>, installationId: number): Secret {
  const mint = async (refresh: boolean) => {
    const { auth } = await app();
    try {
      return (await auth({ type: 'installation', installationId, refresh })).token;
    } catch (error) {
      throw mintingError(error, installationId);
    }
  };
  let renewal: { readonly refused: string; readonly token: Promise<string> } | undefined;
  const reread = async (refused: Promise<string>) => {
    const token = await refused;
    if (renewal?.refused !== token) {
      const next = { refused: token, token: mint(true) };
      renewal = next;
      next.token.catch(() => {
        if (renewal === next) renewal = undefined;
      });
    }
    return renewal.token;
  };
  return Object.assign(() => mint(false), { reread });
}

/** A refused JWT (a wrong key or app id) fails the run; any other failure to mint is worth another attempt. */
function mintingError(error: unknown, installationId: number): unknown {
  if (!(error instanceof RequestError)) return error;
  const what = `GitHub refused to mint a token for installation ${installationId}`;
  if (error.status === 401) return new AuthError(`${what}: the app's JWT was refused: ${error.message}`, { cause: error });
  if (error.status === 404) return new ConfigError(`${what}: it is not an installation of the app (404)`, { cause: error });
  return new TransientError(`${what}: ${error.message}`, { cause: error });
}

/**
 * Every item of a paged listing.
 * @throws TransientError when a page was cut short or is not JSON (Octokit hands back its raw text), rather than taking
 * a partial listing for the whole; AuthError when GitHub refuses the credentials.
 */
async function everyPage<Data, Item>(
  fetchPage: (page: number) => Promise<{ data: Data; headers: { link?: string } }>,
  itemsOf: (data: Data) => Item[],
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  for (let page = 1; ; page++) {
    let answer: { data: Data; headers: { link?: string } };
    try {
      answer = await fetchPage(page);
    } catch (error) {
      if (error instanceof RequestError && error.status === 401) {
        throw new AuthError(`GitHub refused the app's credentials listing ${what}: ${error.message}`, { cause: error });
      }
      if (error instanceof RequestError) throw new TransientError(`GitHub could not list ${what}: ${error.message}`, { cause: error });
      throw error;
    }
    const pageItems = typeof answer.data === 'object' && answer.data !== null ? itemsOf(answer.data) : undefined;
    if (!Array.isArray(pageItems)) throw new TransientError(`GitHub's page ${page} of ${what} was cut short or is not JSON`);
    items.push(...pageItems);
    if (!/rel="next"/.test(answer.headers.link ?? '')) return items;
  }
}
