/**
 * A loopback server that answers like the GitHub REST API for what the sync uses: repositories, the
 * issues list (which includes pull requests) with `since`, Link pagination, ETag/304, rate-limit headers
 * and accounting, token auth, and faults injected on demand. Where GitHub is unkind, so is this server:
 * a renamed repository answers 301 to `/repositories/<id>/...` (not to its new name), a spent primary
 * limit answers 403 or 429 with `x-ratelimit-remaining: 0`, more than 100 concurrent requests meet a
 * secondary limit, and a body can be cut mid-way. An archived repository stays in its org's listing with
 * `archived: true`; a deleted one answers 404 by name, by id and by its former names; an org whose repositories
 * are all gone lists none (200, []). The local runtime's demo GitHub and the tests both use it, reached through
 * Octokit's `baseUrl` as a GitHub Enterprise Server would be.
 *
 * With `app`, it is also a GitHub App's GitHub: `/app/...` takes only the app's JWT (RS256, checked with the app's
 * public key, its claims as GitHub checks them), lists the app's installations and mints installation tokens that
 * expire (an hour by default); an installation token sees only its installation's repositories, and once expired
 * is refused with 401 like a revoked one.
 */
import { createHash, createPublicKey, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeHook, GitHubHooks, type HookDelivery } from './github-hooks.ts';

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

/** An installation of the app: the account it is installed on, and the repositories it was given. */
export interface FakeInstallation {
  readonly id: number;
  /** The organization or user the app is installed on. */
  readonly account: string;
  /** Full names of the repositories the installation can see. */
  readonly repositories: readonly string[];
}

/** A GitHub App registered on the server. */
export interface FakeApp {
  readonly appId: number;
  /** The app's public key (PEM or a key object): the JWT's RS256 signature must verify with it. */
  readonly publicKey: string | KeyObject;
  readonly installations: readonly FakeInstallation[];
  /** How long an installation token lives. @default 3600 (GitHub: one hour) */
  readonly tokenLifetimeSeconds?: number;
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
  /** Requests served at once; more meet a secondary rate limit (GitHub: 100). @default 100 */
  readonly maxConcurrentRequests?: number;
  /** A GitHub App whose JWT and installation tokens the server accepts. */
  readonly app?: FakeApp;
}

/** How GitHub refuses a request: a spent primary limit or a secondary limit (403 or 429, as GitHub may use either). */
export type RefusalStatus = 403 | 429;

/** GitHub's documented redirect for a renamed or transferred repository. */
const REDIRECT_DOCUMENTATION = 'https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects';
const RATE_LIMIT_DOCUMENTATION = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
const SECONDARY_LIMIT_BODY = JSON.stringify({
  message:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
    'If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
  documentation_url: `${RATE_LIMIT_DOCUMENTATION}#about-secondary-rate-limits`,
});

/** An answer to one request: its status, its body (a string is sent as it is, anything else as JSON) and headers of its own. */
interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const NOT_FOUND: Reply = { status: 404, body: { message: 'Not Found' } };
const BAD_CREDENTIALS: Reply = { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };

/** A primary rate limit: its allowance, what is left of it, and when it is restored (epoch seconds). */
interface RateBudget {
  readonly limit: number;
  remaining: number;
  resetAt: number;
}

/** An installation token the server minted, and when it stops working (epoch ms). */
interface IssuedToken {
  readonly installation: FakeInstallation;
  readonly expiresAtMs: number;
}

/** Most seconds a JWT's `iat` may lie in the future (clock skew GitHub tolerates), and its longest life. */
const JWT_IAT_SKEW_SECONDS = 60;
const JWT_MAX_LIFETIME_SECONDS = 600;

export class GitHubServer {
  readonly requests: RequestRecord[] = [];
  private readonly repositories = new Map<string, FakeRepository>();
  /** Old full name (lower case) to the repository's id, as GitHub keeps redirecting a renamed repository. */
  private readonly renames = new Map<string, number>();
  /** Every owner (lower case) a repository has had here: its org listing answers 200 even once it holds no repository. */
  private readonly owners = new Set<string>();
  /** Each fault answers one request; `cut` serves the real answer but drops the connection mid-body. */
  private readonly faults: { prefix: string; answer: Fault | 'cut'; skip: number }[] = [];
  /** The primary rate limit of each credential: the personal token's, each installation's, the app's JWT's. */
  private readonly budgets = new Map<string, RateBudget>();
  /** The budget of the request being answered (a request is answered in one synchronous pass). */
  private current: RateBudget;
  private refusalStatus: RefusalStatus = 403;
  private token: string | undefined;
  private inFlight = 0;
  private readonly issuedTokens = new Map<string, IssuedToken>();
  /** The repositories (lower-case full names) each installation was given; changed by `setInstallationAccess`. */
  private readonly installationAccess = new Map<number, Set<string>>();
  /** Installation tokens minted, per installation id, in order. */
  readonly mintedTokens = new Map<number, string[]>();
  /** The webhooks: what each change delivered, and GitHub's deliveries API over it. */
  readonly hooks = new GitHubHooks();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: GitHubServerOptions,
  ) {
    this.current = this.budgetOf('token');
    this.token = options.token;
    for (const repository of options.repositories) this.hold(repository);
    for (const installation of options.app?.installations ?? []) {
      this.installationAccess.set(installation.id, new Set(installation.repositories.map((name) => name.toLowerCase())));
    }
  }

  static async start(options: GitHubServerOptions): Promise<GitHubServer> {
    let instance: GitHubServer | undefined;
    const server = createServer((request, response) => {
      const github = instance!;
      // Counted on arrival: GitHub refuses the request beyond its concurrency limit at once.
      const overloaded = ++github.inFlight > (options.maxConcurrentRequests ?? 100);
      response.once('close', () => github.inFlight--);
      const respond = () => github.handle(request, response, overloaded);
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

  /**
   * Renames (or transfers) a repository. As on github.com, its old name then answers 301 with
   * `Location: <base>/repositories/<id>/<rest of the path>`: the client learns the id, not the new name. Its own hooks
   * stay on it, and the `repository` event (`renamed`, or `transferred` to another owner) is delivered.
   * @returns the delivery attempts, once each hook has answered.
   */
  rename(from: string, to: string): Promise<HookDelivery[]> {
    const repository = this.repository(from);
    this.repositories.delete(from.toLowerCase());
    const renamed = { ...repository, fullName: to };
    this.hold(renamed);
    this.renames.set(from.toLowerCase(), repository.id);
    this.renames.delete(to.toLowerCase());
    this.hooks.followRename(from, to);
    const [formerOwner, formerName] = from.split('/') as [string, string];
    const transferred = formerOwner.toLowerCase() !== to.split('/')[0]!.toLowerCase();
    return transferred
      ? this.deliverRepositoryEvent(renamed, 'transferred', { owner: { from: { organization: { login: formerOwner } } } })
      : this.deliverRepositoryEvent(renamed, 'renamed', { repository: { name: { from: formerName } } });
  }

  /** Registers a webhook: from now on, each change this server makes to a repository it watches is delivered to it. */
  addHook(hook: FakeHook): void {
    this.hooks.add(hook);
  }

  /**
   * Opens an issue, or a pull request when `fields.pull_request` is set, numbered after the repository's last, and
   * delivers the `issues` or `pull_request` event (`opened`) to the hooks watching the repository.
   * @returns the number given and the delivery attempts, once each hook has answered.
   */
  async openIssue(fullName: string, fields: Omit<FakeIssue, 'number'>): Promise<{ number: number; deliveries: HookDelivery[] }> {
    const repository = this.repository(fullName);
    const number = Math.max(0, ...repository.issues.map((issue) => issue.number)) + 1;
    repository.issues.push({ number, ...fields });
    return { number, deliveries: await this.deliverIssueEvent(repository, number, 'opened') };
  }

  /**
   * Changes an issue or pull request (closes, labels, edits it: set `updated_at` as GitHub would) and delivers the
   * event with `action` (`closed`, `labeled`, `edited`, `reopened`, ...) to the hooks watching the repository.
   */
  async changeIssue(
    fullName: string,
    number: number,
    changes: Partial<Omit<FakeIssue, 'number'>>,
    action: string,
  ): Promise<HookDelivery[]> {
    const repository = this.repository(fullName);
    const index = repository.issues.findIndex((issue) => issue.number === number);
    if (index < 0) throw new Error(`no issue ${fullName}#${number}`);
    repository.issues[index] = { ...repository.issues[index]!, ...changes };
    return this.deliverIssueEvent(repository, number, action);
  }

  /** The webhook payload GitHub sends for an issue or pull request, delivered to the hooks that watch its repository. */
  private deliverIssueEvent(repository: FakeRepository, number: number, action: string): Promise<HookDelivery[]> {
    const issue = repository.issues.find((candidate) => candidate.number === number)!;
    const html = this.options.htmlBaseUrl ?? 'https://github.com';
    const { pull_request, ...item } = issueJson(issue, repository, html);
    const installation = this.installationSeeing(repository);
    const common = {
      repository: repositoryJson(repository, html),
      sender: { login: issue.user, type: 'User' },
      ...(installation ? { installation: { id: installation.id } } : {}),
    };
    const payload = pull_request
      ? {
          action,
          number,
          pull_request: { ...item, merged_at: pull_request.merged_at, merged: pull_request.merged_at !== null },
          ...common,
        }
      : { action, issue: item, ...common };
    return this.hooks.deliver({
      event: pull_request ? 'pull_request' : 'issues',
      payload,
      repository: { id: repository.id, fullName: repository.fullName },
      ...(installation ? { installationId: installation.id } : {}),
    });
  }

  /** Archives a repository: still readable and in its org's listing, with `archived: true`; delivers `repository` `archived`. */
  archive(fullName: string): Promise<HookDelivery[]> {
    const archived = { ...this.repository(fullName), archived: true };
    this.hold(archived);
    return this.deliverRepositoryEvent(archived, 'archived');
  }

  /**
   * Deletes a repository: its name, its id and the names it had before a rename answer 404 from now on. Delivers
   * `repository` `deleted` to the hooks that watched it.
   */
  delete(fullName: string): Promise<HookDelivery[]> {
    const repository = this.repository(fullName);
    const deliveries = this.deliverRepositoryEvent(repository, 'deleted');
    this.repositories.delete(fullName.toLowerCase());
    for (const [former, formerId] of this.renames) if (formerId === repository.id) this.renames.delete(former);
    return deliveries;
  }

  /** The `repository` event GitHub sends for a change to the repository itself. */
  private deliverRepositoryEvent(repository: FakeRepository, action: string, changes?: Record<string, unknown>): Promise<HookDelivery[]> {
    const installation = this.installationSeeing(repository);
    const payload = {
      action,
      ...(changes ? { changes } : {}),
      repository: repositoryJson(repository, this.options.htmlBaseUrl ?? 'https://github.com'),
      sender: { login: 'octocat', type: 'User' },
      ...(installation ? { installation: { id: installation.id } } : {}),
    };
    return this.hooks.deliver({
      event: 'repository',
      payload,
      repository: { id: repository.id, fullName: repository.fullName },
      ...(installation ? { installationId: installation.id } : {}),
    });
  }

  /** The app installation that sees the repository, when there is an app. */
  private installationSeeing(repository: FakeRepository): FakeInstallation | undefined {
    return this.options.app?.installations.find((candidate) =>
      this.installationAccess.get(candidate.id)?.has(repository.fullName.toLowerCase()),
    );
  }

  /** Answers the next `faults.length` requests under `pathPrefix` with these faults, in order. */
  injectFaults(pathPrefix: string, ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ prefix: pathPrefix, answer: fault, skip: fault.afterRequests ?? 0 });
  }

  /**
   * Refuses the next `count` requests under `pathPrefix` with GitHub's secondary rate limit: its message,
   * and `retry-after` only when given (GitHub may leave it out; clients must then wait at least a minute).
   */
  injectSecondaryRateLimit(
    pathPrefix: string,
    options: { status?: RefusalStatus; retryAfter?: number; count?: number; afterRequests?: number } = {},
  ): void {
    const headers: Record<string, string> = options.retryAfter === undefined ? {} : { 'retry-after': String(options.retryAfter) };
    const fault: Fault = { status: options.status ?? 403, headers, body: SECONDARY_LIMIT_BODY, afterRequests: options.afterRequests };
    this.injectFaults(
      pathPrefix,
      ...Array.from({ length: options.count ?? 1 }, (_, i) => (i === 0 ? fault : { ...fault, afterRequests: 0 })),
    );
  }

  /**
   * The next request under `pathPrefix` gets its real answer, status 200 and all, but the connection
   * drops halfway through the body (a cut connection or a proxy's timeout).
   */
  cutBody(pathPrefix: string, afterRequests = 0): void {
    this.faults.push({ prefix: pathPrefix, answer: 'cut', skip: afterRequests });
  }

  /** Drops faults not served yet. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /**
   * Sets the primary rate limit's remaining points and reset time (epoch seconds), and the status that
   * refuses requests once it is spent (GitHub answers 403 or 429), of the personal token or of `installation:<id>`.
   */
  setRateLimit(remaining: number, resetAt: number, refusalStatus: RefusalStatus = 403, budgetKey = 'token'): void {
    const budget = this.budgetOf(budgetKey);
    budget.remaining = remaining;
    budget.resetAt = resetAt;
    this.refusalStatus = refusalStatus;
  }

  get rateLimitRemaining(): number {
    return this.budgetOf('token').remaining;
  }

  /** What is left of a budget: `token`, or `installation:<id>` (each installation has its own, as on GitHub). */
  rateLimitRemainingOf(budgetKey: string): number {
    return this.budgetOf(budgetKey).remaining;
  }

  /** Changes the token the server accepts (a revoked token answers 401). */
  setToken(token: string): void {
    this.token = token;
  }

  /** Gives an installation access to a repository, or takes it away (its selection changed on GitHub). */
  setInstallationAccess(installationId: number, fullName: string, granted: boolean): void {
    const access = this.installationAccess.get(installationId);
    if (!access) throw new Error(`no installation ${installationId}`);
    if (granted) access.add(fullName.toLowerCase());
    else access.delete(fullName.toLowerCase());
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Holds a repository under its current name, and its owner as one whose listing exists. */
  private hold(repository: FakeRepository): void {
    this.repositories.set(repository.fullName.toLowerCase(), repository);
    this.owners.add(repository.fullName.split('/')[0]!.toLowerCase());
  }

  private handle(request: IncomingMessage, response: ServerResponse, overloaded: boolean): void {
    const url = new URL(request.url ?? '/', this.url);
    this.current = this.budgetOf(this.budgetKeyOf(request, url));
    if (Date.now() / 1000 >= this.current.resetAt) {
      // The primary limit's window has passed: GitHub restores the full allowance.
      this.current.remaining = this.current.limit;
      this.current.resetAt = Math.floor(Date.now() / 1000) + 3600;
    }
    const fault = overloaded ? undefined : this.takeFault(url.pathname);
    let reply: Reply;
    if (overloaded) reply = { status: 403, body: SECONDARY_LIMIT_BODY };
    else if (fault && fault !== 'cut') reply = injectedReply(fault);
    else reply = this.answer(request, url);
    this.send(request, url, response, reply, fault === 'cut');
  }

  /** Removes and returns the fault due for this path, if any; a fault still skipping requests counts one down instead. */
  private takeFault(path: string): Fault | 'cut' | undefined {
    const index = this.faults.findIndex(({ prefix }) => path.startsWith(prefix));
    const pending = this.faults[index];
    if (!pending) return undefined;
    if (pending.skip > 0) {
      pending.skip--;
      return undefined;
    }
    this.faults.splice(index, 1);
    return pending.answer;
  }

  /** The answer GitHub would give, counted against the primary rate limit where GitHub counts it. */
  private answer(request: IncomingMessage, url: URL): Reply {
    const { app } = this.options;
    if (app && (url.pathname === '/app' || url.pathname.startsWith('/app/'))) return this.answerApp(app, request, url);
    const credential = request.headers.authorization?.replace(/^(token|bearer) /i, '');
    const issued = credential === undefined ? undefined : this.issuedTokens.get(credential);
    if (issued && Date.now() >= issued.expiresAtMs) return BAD_CREDENTIALS;
    if (!issued && this.token && credential !== this.token) return BAD_CREDENTIALS;
    // An installation token sees its installation's repositories only; the others answer 404, as on GitHub.
    const visible = (repository: FakeRepository) =>
      !issued || this.installationAccess.get(issued.installation.id)!.has(repository.fullName.toLowerCase());
    if (url.pathname === '/installation/repositories') {
      if (!issued) return { status: 403, body: { message: 'This endpoint requires an installation access token' } };
      if (this.spent()) return this.refusal();
      this.current.remaining--;
      const { items, headers } = pageOf([...this.repositories.values()].filter(visible), url);
      const html = this.options.htmlBaseUrl ?? 'https://github.com';
      const listed = items.map((repository) => repositoryJson(repository, html));
      return { status: 200, body: { total_count: [...this.repositories.values()].filter(visible).length, repositories: listed }, headers };
    }

    // An installation token reaches its own account's organization hooks only.
    const hookDeliveries = this.hooks.answer(request.method ?? 'GET', url, {
      repository: (name) => {
        const held = this.repositories.get(name.toLowerCase());
        return held !== undefined && visible(held);
      },
      org: (org) => !issued || issued.installation.account.toLowerCase() === org.toLowerCase(),
    });
    if (hookDeliveries) {
      if (this.spent()) return this.refusal();
      this.current.remaining--;
      return hookDeliveries;
    }

    if (url.pathname === '/rate_limit') {
      // Free, like GitHub's: checking the limit costs none of it.
      const core = { limit: this.current.limit, remaining: Math.max(0, this.current.remaining), reset: this.current.resetAt };
      return { status: 200, body: { resources: { core }, rate: core } };
    }
    const html = this.options.htmlBaseUrl ?? 'https://github.com';
    const org = /^\/orgs\/([^/]+)\/repos$/.exec(url.pathname);
    if (org) {
      const owner = org[1]!.toLowerCase();
      if (!this.owners.has(owner)) return NOT_FOUND;
      const owned = [...this.repositories.values()].filter(
        (repository) => repository.fullName.toLowerCase().startsWith(`${owner}/`) && visible(repository),
      );
      if (this.spent()) return this.refusal();
      this.current.remaining--;
      const { items, headers } = pageOf(owned, url);
      return { status: 200, body: items.map((repository) => repositoryJson(repository, html)), headers };
    }

    let repository: FakeRepository | undefined;
    let issues: boolean;
    const byName = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?$/.exec(url.pathname);
    const byId = /^\/repositories\/(\d+)(\/issues)?$/.exec(url.pathname);
    if (byName) {
      const fullName = `${decodeURIComponent(byName[1]!)}/${decodeURIComponent(byName[2]!)}`.toLowerCase();
      const movedId = this.renames.get(fullName);
      if (movedId !== undefined) {
        // github.com points at the repository's id, keeping the rest of the path and the query.
        if (this.spent()) return this.refusal();
        this.current.remaining--;
        const location = `${this.url}/repositories/${movedId}${byName[3] ?? ''}${url.search}`;
        return {
          status: 301,
          body: { message: 'Moved Permanently', url: location, documentation_url: REDIRECT_DOCUMENTATION },
          headers: { location },
        };
      }
      repository = this.repositories.get(fullName);
      issues = byName[3] !== undefined;
    } else if (byId) {
      repository = [...this.repositories.values()].find((candidate) => candidate.id === Number(byId[1]));
      issues = byId[2] !== undefined;
    } else return NOT_FOUND;
    if (!repository || !visible(repository)) return NOT_FOUND;

    const body = issues ? this.issuesPage(repository, url, html) : { body: repositoryJson(repository, html), headers: {} };
    const etag = `W/"${createHash('sha1').update(JSON.stringify(body.body)).digest('hex')}"`;
    // A conditional request answered 304 does not count against the primary rate limit.
    if (request.headers['if-none-match'] === etag) return { status: 304, body: '', headers: { etag, ...body.headers } };
    if (this.spent()) return this.refusal();
    this.current.remaining--;
    return { status: 200, body: body.body, headers: { etag, ...body.headers } };
  }

  /**
   * What GitHub answers the app itself: the JWT is checked first (401 with GitHub's message when it fails), then
   * the app's installations are listed, or an installation token is minted (201, expiring).
   */
  private answerApp(app: FakeApp, request: IncomingMessage, url: URL): Reply {
    const refused = jwtRefusal(app, request.headers.authorization);
    if (refused) return { status: 401, body: { message: refused, documentation_url: 'https://docs.github.com/rest' } };
    const hookDeliveries = this.hooks.answer(request.method ?? 'GET', url, { repository: () => true, org: () => true });
    if (hookDeliveries) return hookDeliveries;
    if (request.method === 'GET' && url.pathname === '/app/installations') {
      const { items, headers } = pageOf(app.installations, url);
      return { status: 200, body: items.map(installationJson), headers };
    }
    const minting = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    const installation = minting && app.installations.find((candidate) => candidate.id === Number(minting[1]));
    if (request.method !== 'POST' || !installation) return NOT_FOUND;
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAtMs = Date.now() + (app.tokenLifetimeSeconds ?? 3600) * 1000;
    this.issuedTokens.set(token, { installation, expiresAtMs });
    this.mintedTokens.set(installation.id, [...(this.mintedTokens.get(installation.id) ?? []), token]);
    // GitHub gives the expiry to the second.
    const expiresAt = new Date(Math.floor(expiresAtMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return {
      status: 201,
      body: { token, expires_at: expiresAt, permissions: { issues: 'read', metadata: 'read' }, repository_selection: 'selected' },
    };
  }

  /** Logs and sends a reply with the rate-limit headers; a cut reply announces its whole length, sends half, then drops. */
  private send(request: IncomingMessage, url: URL, response: ServerResponse, reply: Reply, cut: boolean): void {
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname + url.search, status: reply.status });
    const text = Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    const length = cut ? { 'content-length': String(text.length) } : {};
    response.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      ...this.rateHeaders(),
      ...reply.headers,
      ...length,
    });
    if (reply.status === 304 || !cut) {
      response.end(reply.status === 304 ? undefined : text);
      return;
    }
    response.write(text.subarray(0, Math.floor(text.length / 2)), () => response.destroy());
  }

  private spent(): boolean {
    return this.current.remaining <= 0;
  }

  /** A budget, made full on first use. */
  private budgetOf(key: string): RateBudget {
    let budget = this.budgets.get(key);
    if (!budget) {
      const limit = this.options.rateLimit ?? 5000;
      budget = { limit, remaining: limit, resetAt: Math.floor(Date.now() / 1000) + 3600 };
      this.budgets.set(key, budget);
    }
    return budget;
  }

  /** Whose budget a request spends: an installation token's installation, the app's JWT, else the personal token. */
  private budgetKeyOf(request: IncomingMessage, url: URL): string {
    if (url.pathname === '/app' || url.pathname.startsWith('/app/')) return 'app';
    const issued = this.issuedTokens.get(request.headers.authorization?.replace(/^(token|bearer) /i, '') ?? '');
    return issued ? `installation:${issued.installation.id}` : 'token';
  }

  /** GitHub's answer once the primary limit is spent: 403 or 429, `x-ratelimit-remaining: 0` and the reset. */
  private refusal(): Reply {
    return {
      status: this.refusalStatus,
      body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: RATE_LIMIT_DOCUMENTATION },
    };
  }

  private issuesPage(repository: FakeRepository, url: URL, html: string): { body: unknown; headers: Record<string, string> } {
    const since = url.searchParams.get('since');
    const direction = url.searchParams.get('direction') === 'asc' ? 1 : -1;
    const state = url.searchParams.get('state') ?? 'open';
    const matching = repository.issues
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => !since || issue.updated_at >= since)
      .sort((a, b) => direction * (a.updated_at.localeCompare(b.updated_at) || a.number - b.number));
    const { items, headers } = pageOf(matching, url);
    return { body: items.map((issue) => issueJson(issue, repository, html)), headers };
  }

  private rateHeaders(): Record<string, string> {
    const { limit, remaining, resetAt } = this.current;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, remaining)),
      'x-ratelimit-used': String(limit - Math.max(0, remaining)),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-resource': 'core',
    };
  }
}

/** The page of a list that `per_page` (default 30, at most 100) and `page` ask for, and GitHub's Link header to the others. */
function pageOf<T>(list: readonly T[], url: URL): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
  const lastPage = Math.max(1, Math.ceil(list.length / perPage));
  const link = (target: number, rel: string) => {
    const next = new URL(url.toString());
    next.searchParams.set('page', String(target));
    return `<${next.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page < lastPage ? [link(page + 1, 'next'), link(lastPage, 'last')] : []),
    ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
  ];
  return { items: list.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : {} };
}

/**
 * Why GitHub would refuse this `Authorization` header as the app's JWT (its own messages), or undefined when it is
 * valid: `Bearer`, RS256 signed with the app's key, `iss` the app's id, `iat` no more than 60 s ahead of the clock,
 * `exp` in the future and at most 10 minutes after `iat`
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
 */
function jwtRefusal(app: FakeApp, authorization: string | undefined): string | undefined {
  const undecodable = 'A JSON web token could not be decoded';
  const jwt = /^bearer (.+)$/i.exec(authorization ?? '')?.[1];
  const parts = jwt?.split('.');
  if (parts?.length !== 3) return undecodable;
  const [header, payload, signature] = parts as [string, string, string];
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return undecodable;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return undecodable;
  }
  const key = typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey;
  const signed = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(key, Buffer.from(signature, 'base64url'));
  if (!signed) return undecodable;
  if (String(claims.iss) !== String(app.appId)) return 'Integration not found';
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = claims;
  if (!Number.isInteger(iat) || (iat as number) > now + JWT_IAT_SKEW_SECONDS) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  }
  if (!Number.isInteger(exp) || (exp as number) <= now) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  }
  if ((exp as number) - (iat as number) > JWT_MAX_LIFETIME_SECONDS || (exp as number) > now + JWT_MAX_LIFETIME_SECONDS) {
    return "'Expiration time' claim ('exp') is too far in the future";
  }
  return undefined;
}

function installationJson(installation: FakeInstallation) {
  return { id: installation.id, account: { login: installation.account }, repository_selection: 'selected' };
}

function injectedReply(fault: Fault): Reply {
  return { status: fault.status, body: fault.body ?? { message: `injected ${fault.status}` }, headers: fault.headers };
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
