/**
 * A loopback server that answers like the GitHub REST API for what the sync uses: repositories, the
 * issues list (which includes pull requests) with `since`, Link pagination, ETag/304, rate-limit headers
 * and accounting, token auth, renamed repositories (301), and faults injected on demand. The local
 * runtime's demo GitHub and the tests both use it, reached through Octokit's `baseUrl` as a GitHub
 * Enterprise Server would be.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIssue {
  readonly number: number;
  readonly title: string;
  readonly state: 'open' | 'closed';
  readonly labels: readonly string[];
  readonly assignees: readonly string[];
  readonly user: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly closed_at: string | null;
  /** Present on pull requests, as on GitHub's issues endpoint. */
  readonly pull_request?: { readonly merged_at: string | null };
  readonly draft?: boolean;
}

export interface FakeRepository {
  readonly fullName: string;
  readonly id: number;
  readonly issues: FakeIssue[];
  readonly archived?: boolean;
  readonly pushedAt?: string;
}

/** A canned answer to the next request(s) whose path starts with a prefix. */
export interface Fault {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Raw body; JSON `{ message }` from the status when omitted. */
  readonly body?: string;
  /** Matching requests answered normally before this fault applies. @default 0 */
  readonly afterRequests?: number;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface GitHubServerOptions {
  readonly repositories: readonly FakeRepository[];
  /** When set, requests must carry this token. */
  readonly token?: string;
  /** Primary rate limit per window (GitHub: 5,000 an hour). */
  readonly rateLimit?: number;
  /** Added to every response, to model a real network. */
  readonly latencyMs?: number;
  /** Base of the `html_url` links, which stay the same whatever port the server runs on. @default https://github.com */
  readonly htmlBaseUrl?: string;
}

export class GitHubServer {
  readonly requests: RequestRecord[] = [];
  private readonly repositories = new Map<string, FakeRepository>();
  private readonly renames = new Map<string, string>();
  private readonly faults: { prefix: string; fault: Fault; skip: number }[] = [];
  private remaining: number;
  private token: string | undefined;
  private resetAt = Math.floor(Date.now() / 1000) + 3600;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: GitHubServerOptions,
  ) {
    this.remaining = options.rateLimit ?? 5000;
    this.token = options.token;
    for (const repository of options.repositories) this.repositories.set(repository.fullName.toLowerCase(), repository);
  }

  static async start(options: GitHubServerOptions): Promise<GitHubServer> {
    let instance: GitHubServer | undefined;
    const server = createServer((request, response) => {
      const respond = () => instance!.handle(request, response);
      if (options.latencyMs) setTimeout(respond, options.latencyMs);
      else respond();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new GitHubServer(server, `http://127.0.0.1:${port}`, options);
    return instance;
  }

  /** The repository as the server holds it (tests change its issues between runs). */
  repository(fullName: string): FakeRepository {
    const repository = this.repositories.get(fullName.toLowerCase());
    if (!repository) throw new Error(`no repository ${fullName}`);
    return repository;
  }

  /** The full names of the repositories the server holds. */
  repositoryNames(): string[] {
    return [...this.repositories.values()].map((repository) => repository.fullName);
  }

  /** Renames a repository: its old name answers 301 to the new one from now on. */
  rename(from: string, to: string): void {
    const repository = this.repository(from);
    this.repositories.delete(from.toLowerCase());
    this.repositories.set(to.toLowerCase(), { ...repository, fullName: to });
    this.renames.set(from.toLowerCase(), to);
  }

  /** Answers the next `faults.length` requests under `pathPrefix` with these faults, in order. */
  injectFaults(pathPrefix: string, ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ prefix: pathPrefix, fault, skip: fault.afterRequests ?? 0 });
  }

  /** Drops faults not served yet. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Sets the primary rate limit's remaining points and reset time (epoch seconds). */
  setRateLimit(remaining: number, resetAt: number): void {
    this.remaining = remaining;
    this.resetAt = resetAt;
  }

  get rateLimitRemaining(): number {
    return this.remaining;
  }

  /** Changes the token the server accepts (a revoked token answers 401). */
  setToken(token: string): void {
    this.token = token;
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: request.method ?? 'GET', path: url.pathname + url.search, status });
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...this.rateHeaders(), ...headers });
      response.end(status === 304 ? undefined : text);
    };

    if (Date.now() / 1000 >= this.resetAt) {
      // The primary limit's window has passed: GitHub restores the full allowance.
      this.remaining = this.options.rateLimit ?? 5000;
      this.resetAt = Math.floor(Date.now() / 1000) + 3600;
    }
    const faultIndex = this.faults.findIndex(({ prefix }) => url.pathname.startsWith(prefix));
    const pending = this.faults[faultIndex];
    if (pending && pending.skip > 0) pending.skip--;
    else if (faultIndex >= 0) {
      const { fault } = this.faults.splice(faultIndex, 1)[0]!;
      return send(fault.status, fault.body ?? { message: `injected ${fault.status}` }, { ...fault.headers });
    }
    if (this.token && request.headers.authorization?.replace(/^(token|bearer) /i, '') !== this.token) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }

    if (url.pathname === '/rate_limit') {
      // Free, like GitHub's: checking the limit costs none of it.
      const core = { limit: this.options.rateLimit ?? 5000, remaining: Math.max(0, this.remaining), reset: this.resetAt };
      return send(200, { resources: { core }, rate: core });
    }
    const org = /^\/orgs\/([^/]+)\/repos$/.exec(url.pathname);
    if (org) {
      const owned = [...this.repositories.values()].filter((repository) => repository.fullName.toLowerCase().startsWith(`${org[1]!.toLowerCase()}/`));
      if (owned.length === 0) return send(404, { message: 'Not Found' });
      this.remaining--;
      return send(200, owned.map((repository) => repositoryJson(repository, this.options.htmlBaseUrl ?? 'https://github.com')));
    }
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?$/.exec(url.pathname);
    if (!match) return send(404, { message: 'Not Found' });
    const fullName = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`;
    const renamed = this.renames.get(fullName.toLowerCase());
    if (renamed) {
      const location = `${this.url}/repos/${renamed}${match[3] ?? ''}${url.search}`;
      return send(301, { message: 'Moved Permanently', url: location }, { location });
    }
    const repository = this.repositories.get(fullName.toLowerCase());
    if (!repository) return send(404, { message: 'Not Found' });

    const html = this.options.htmlBaseUrl ?? 'https://github.com';
    const body = match[3] ? this.issuesPage(repository, url, html) : { body: repositoryJson(repository, html), headers: {} };
    const etag = `W/"${createHash('sha1').update(JSON.stringify(body.body)).digest('hex')}"`;
    // A conditional request answered 304 does not count against the primary rate limit.
    if (request.headers['if-none-match'] === etag) return send(304, '', { etag, ...body.headers });
    if (this.remaining <= 0) {
      return send(403, { message: 'API rate limit exceeded for user.' }, { 'x-ratelimit-remaining': '0' });
    }
    this.remaining--;
    send(200, body.body, { etag, ...body.headers });
  }

  private issuesPage(repository: FakeRepository, url: URL, html: string): { body: unknown; headers: Record<string, string> } {
    const since = url.searchParams.get('since');
    const direction = url.searchParams.get('direction') === 'asc' ? 1 : -1;
    const state = url.searchParams.get('state') ?? 'open';
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const matching = repository.issues
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => !since || issue.updated_at >= since)
      .sort((a, b) => direction * (a.updated_at.localeCompare(b.updated_at) || a.number - b.number));
    const lastPage = Math.max(1, Math.ceil(matching.length / perPage));
    const items = matching.slice((page - 1) * perPage, page * perPage).map((issue) => issueJson(issue, repository, html));
    const link = (target: number, rel: string) => {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(target));
      return `<${next.toString()}>; rel="${rel}"`;
    };
    const links = [
      ...(page < lastPage ? [link(page + 1, 'next'), link(lastPage, 'last')] : []),
      ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
    ];
    return { body: items, headers: links.length ? { link: links.join(', ') } : {} };
  }

  private rateHeaders(): Record<string, string> {
    const limit = this.options.rateLimit ?? 5000;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, this.remaining)),
      'x-ratelimit-used': String(limit - Math.max(0, this.remaining)),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-resource': 'core',
    };
  }
}

function repositoryJson(repository: FakeRepository, base: string) {
  const [owner, name] = repository.fullName.split('/');
  return {
    id: repository.id,
    name,
    full_name: repository.fullName,
    owner: { login: owner },
    html_url: `${base}/${repository.fullName}`,
    archived: repository.archived ?? false,
    pushed_at: repository.pushedAt ?? null,
  };
}

function issueJson(issue: FakeIssue, repository: FakeRepository, base: string) {
  const html = `${base}/${repository.fullName}/${issue.pull_request ? 'pull' : 'issues'}/${issue.number}`;
  return {
    id: repository.id * 1_000_000 + issue.number,
    number: issue.number,
    title: issue.title,
    state: issue.state,
    html_url: html,
    user: { login: issue.user },
    labels: issue.labels.map((name) => ({ name })),
    assignees: issue.assignees.map((login) => ({ login })),
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    closed_at: issue.closed_at,
    ...(issue.pull_request ? { pull_request: { url: html, merged_at: issue.pull_request.merged_at }, draft: issue.draft ?? false } : {}),
  };
}
