/**
 * A token's (or an App installation's) GitHub budget as the sync spends it: the primary limit read from
 * `x-ratelimit-*` on every answer, with a reserve kept for the people who share the token, and a pace under
 * the secondary limit of points a minute. See docs/github.md#budget-and-pacing for the arithmetic.
 *
 * No state is shared between Lambda invocations running at once: each container keeps the last reading of
 * each budget ({@link RateBudgets}), and each chunk paces its own requests ({@link ChunkBudget}), so the whole
 * run stays under the secondary limit because at most `concurrentSyncs` chunks run at once.
 */
import type { BudgetUse } from '../domain/sync-totals.ts';
import type { GitHubClient } from './client.ts';

/** What GitHub's `x-ratelimit-*` headers say of a budget's primary limit. */
export interface RateLimitReading {
  readonly limit: number;
  readonly remaining: number;
  readonly used: number;
  /** When the window resets and the full limit is back (epoch ms). */
  readonly resetAtMs: number;
}

/** The budget's reading in an answer's headers; undefined when they carry none (or not all of it). */
export function readRateLimit(header: (name: string) => string | null | undefined): RateLimitReading | undefined {
  const [limit, remaining, used, reset] = ['limit', 'remaining', 'used', 'reset'].map((name) =>
    Number(header(`x-ratelimit-${name}`) ?? NaN),
  );
  if (![limit, remaining, used, reset].every((value) => Number.isInteger(value) && value! >= 0)) return undefined;
  return { limit: limit!, remaining: remaining!, used: used!, resetAtMs: reset! * 1000 };
}

/** GitHub's secondary limit: points a minute for REST per token (a GET costs one). */
export const GITHUB_POINTS_PER_MINUTE = 900;
/** GitHub's secondary limit: requests at once per token. */
export const GITHUB_MAX_CONCURRENT_REQUESTS = 100;

/**
 * The least time between two requests of one chunk, and after its last one before the chunk ends, so that
 * `concurrentSyncs` chunks at once (each with at most one request in flight) send at most `pointsPerMinute`
 * requests in any 60 s window: a chunk owns the interval after each request it sends, so a window holds at
 * most concurrentSyncs x (60 s + interval) / interval of them (docs/github.md#budget-and-pacing).
 * @throws RangeError when as many chunks as points a minute (or more) would run at once.
 */
export function pacingIntervalMs(pointsPerMinute: number, concurrentSyncs: number): number {
  if (concurrentSyncs >= pointsPerMinute) {
    throw new RangeError(`${concurrentSyncs} concurrent syncs cannot share ${pointsPerMinute} points a minute`);
  }
  return Math.ceil((60_000 * concurrentSyncs) / (pointsPerMinute - concurrentSyncs));
}

export interface RateBudgetSettings {
  /** Share of the primary limit (percent) left to others using the same token: a chunk stops at it. */
  readonly reservePercent: number;
  /** Least time between two requests of a chunk (see {@link pacingIntervalMs}). */
  readonly pacingIntervalMs: number;
}

/** The chunk may send its request, or the budget is down to its reserve until `resumeAtMs`. */
export type Admission = { readonly send: true } | { readonly send: false; readonly resumeAtMs: number };

/** A second after the reset, as GitHub's clock and ours may differ by that much. */
const RESET_MARGIN_MS = 1000;

/** One budget (a key such as `token` or `installation:<id>`) as this container last read it. */
export class RateBudget {
  private reading: RateLimitReading | undefined;

  constructor(
    readonly key: string,
    readonly settings: RateBudgetSettings,
  ) {}

  /** Takes a reading: a later window's, or within a window the lowest remaining (answers may arrive out of order). */
  observe(reading: RateLimitReading): void {
    const last = this.reading;
    if (!last || reading.resetAtMs > last.resetAtMs || (reading.resetAtMs === last.resetAtMs && reading.remaining < last.remaining)) {
      this.reading = reading;
    }
  }

  /** The last reading taken, even when its window has reset since. */
  get latest(): RateLimitReading | undefined {
    return this.reading;
  }

  /** The last reading, unless its window has reset since (then GitHub must be asked again). */
  current(now: number): RateLimitReading | undefined {
    return this.reading && now < this.reading.resetAtMs ? this.reading : undefined;
  }

  /** Points kept for others: the reserve's share of the limit, rounded up. */
  reserveOf(limit: number): number {
    return Math.ceil((limit * this.settings.reservePercent) / 100);
  }

  /**
   * Admits one more request while the points left stay above the reserve: the budget stops at remaining =
   * reserve, never below. Chunks in other containers spend the same budget meanwhile, unseen until the next
   * answer: the reserve absorbs that (docs/github.md#budget-and-pacing).
   */
  admit(reading: RateLimitReading): Admission {
    if (reading.remaining <= this.reserveOf(reading.limit)) return { send: false, resumeAtMs: reading.resetAtMs + RESET_MARGIN_MS };
    return { send: true };
  }
}

/** The budgets a container knows, by key; one instance per container (module scope), kept across invocations. */
export class RateBudgets {
  private readonly budgets = new Map<string, RateBudget>();

  constructor(private readonly settings: RateBudgetSettings) {}

  /** The budget of a key: `token` for a personal token, `installation:<id>` for a GitHub App installation. */
  for(key = 'token'): RateBudget {
    let budget = this.budgets.get(key);
    if (!budget) {
      budget = new RateBudget(key, this.settings);
      this.budgets.set(key, budget);
    }
    return budget;
  }
}

export interface ChunkBudgetOptions {
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * One chunk's use of a budget: it paces every request the client sends (retries included, as they go through
 * the chunk's `fetch`), reads the budget off every answer (304s and refusals included), counts the primary
 * points the chunk spent, and admits each of the sync's requests against the reserve.
 */
export class ChunkBudget {
  private points = 0;
  private lastSentAt: number | undefined;
  /** Octokit's per-request options: every HTTP request of the call goes through {@link fetch}. */
  readonly requestOptions: { readonly request: { readonly fetch: typeof fetch } };

  constructor(
    private readonly github: GitHubClient,
    readonly budget: RateBudget,
    private readonly options: ChunkBudgetOptions,
  ) {
    const underlying: typeof fetch = github.request.endpoint.DEFAULTS.request?.fetch ?? globalThis.fetch;
    const paced: typeof fetch = async (input, init) => {
      await this.pace();
      const response = await underlying(input, init);
      const reading = readRateLimit((name) => response.headers.get(name));
      if (reading) this.budget.observe(reading);
      if (costsAPoint(requestedPath(input), response.status, reading)) this.points++;
      return response;
    };
    this.requestOptions = { request: { fetch: paced } };
  }

  /**
   * Whether the sync may send its next request; when the container has no current reading, it is read first
   * from `GET /rate_limit`, which costs no primary point (it is paced like any request).
   */
  async admit(): Promise<Admission> {
    let reading = this.budget.current(this.options.clock());
    if (!reading) {
      await this.github.request('GET /rate_limit', this.requestOptions);
      // The reading just taken, even if our clock already puts its reset behind us.
      reading = this.budget.latest;
      if (!reading) throw new Error(`GitHub's /rate_limit answer for ${this.budget.key} carried no x-ratelimit headers`);
    }
    return this.budget.admit(reading);
  }

  /** What the chunk spent of its budget and what is left as last read, under the budget's key (none before any reading). */
  uses(): Record<string, BudgetUse> {
    const reading = this.budget.latest;
    if (!reading) return {};
    const resetAt = new Date(reading.resetAtMs).toISOString();
    return { [this.budget.key]: { points: this.points, limit: reading.limit, remaining: reading.remaining, resetAt } };
  }

  /** Holds the chunk until a pacing interval has passed since its last request, so the next chunk may start at once. */
  async release(): Promise<void> {
    if (this.lastSentAt === undefined) return;
    const wait = this.lastSentAt + this.budget.settings.pacingIntervalMs - this.options.clock();
    if (wait > 0) await this.options.sleep(wait);
  }

  private async pace(): Promise<void> {
    await this.release();
    this.lastSentAt = this.options.clock();
  }
}

/**
 * Whether GitHub counted an answer against the primary limit: a 304 does not, nor `/rate_limit`, nor a
 * refusal because the limit is spent (403 or 429 with `x-ratelimit-remaining: 0`).
 */
function costsAPoint(path: string, status: number, reading: RateLimitReading | undefined): boolean {
  if (status === 304 || path.endsWith('/rate_limit')) return false;
  return !((status === 403 || status === 429) && reading?.remaining === 0);
}

function requestedPath(input: Parameters<typeof fetch>[0]): string {
  return new URL(input instanceof Request ? input.url : input).pathname;
}
