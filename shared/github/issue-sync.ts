/**
 * Incremental sync of one project's issues and pull requests, one bounded chunk per call.
 *
 * Each request asks for items updated since the cursor, oldest first, 100 at a time; after each page the
 * items are upserted and the cursor moves to the newest update time seen, and that progress is saved, so
 * a crash loses nothing and repeats nothing. The final request of a sync is remembered with its ETag:
 * next time, an unchanged repository answers 304, which costs no rate-limit points.
 *
 * A renamed or transferred repository answers 301 to `/repositories/<id>/...`; the sync then asks
 * `GET /repositories/<id>` for the new name and records it with the id, so the next run asks for it
 * directly (and org discovery knows the repository by its id). The cursor and ETag stay: they describe
 * the same repository's items (a stale ETag only costs a 200).
 */

import { RequestError } from '@octokit/request-error';
import * as z from 'zod';
import type { BugRules } from '../domain/bugs.ts';
import type { SyncState } from '../domain/project.ts';
import { addBudgetUses, type SyncTotals, ZERO_TOTALS } from '../domain/sync-totals.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../domain/work-item.ts';
import { AuthError, InvalidDataError, RepositoryNotFoundError, TransientError } from '../errors.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { ItemsWriter, WorkItemsStore } from '../store/work-items-store.ts';
import type { GitHubClient } from './client.ts';
import { ChunkBudget, type RateBudget } from './rate-budget.ts';

/**
 * done: up to date; more: the chunk's budget ran out, call again; wait: the primary rate limit is spent
 * and resets before the run's deadline (`resumeAt`); deferred: it resets later, the next run resumes.
 */
export type SyncStatus = 'done' | 'more' | 'wait' | 'deferred';

export interface SyncChunkResult {
  readonly projectId: string;
  readonly fullName: string;
  readonly status: SyncStatus;
  readonly resumeAt?: string;
  readonly totals: SyncTotals;
}

export interface SyncDependencies {
  readonly github: GitHubClient;
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly rules: BugRules;
}

export interface SyncOptions {
  readonly totals?: SyncTotals;
  /** Pages fetched in this call at most. */
  readonly maxPages: number;
  /** Wall-clock instant (ms) after which this call stops fetching (the Lambda's own time budget). */
  readonly stopAtMs: number;
  /** Wall-clock instant (ms) by which the whole run must be done: a rate-limit reset after it is deferred. */
  readonly runDeadlineMs: number;
  /**
   * The client's budget: each request is paced and admitted only while the budget stays above its reserve, and
   * the totals say what the chunk spent of it. Without one, requests go out as fast as they are answered.
   */
  readonly budget?: RateBudget;
  readonly clock?: () => number;
  /** Waits out the pacing (tests pass a fake clock's). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const PER_PAGE = 100;

/** Syncs the next chunk of one project. */
export async function syncProjectChunk(deps: SyncDependencies, projectId: string, options: SyncOptions): Promise<SyncChunkResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const project = await deps.projects.get(projectId);
  if (!project) throw new InvalidDataError(`project ${projectId} is not registered`);
  let fullName = project.fullName;
  let state: SyncState = project.sync;
  let totals = options.totals ?? ZERO_TOTALS;
  const budget = options.budget && new ChunkBudget(deps.github, options.budget, { clock, sleep: options.sleep ?? sleepFor });
  const requestOptions = budget?.requestOptions ?? {};
  const result = (status: SyncStatus, resumeAt?: string): SyncChunkResult => {
    const budgets = budget ? { budgets: addBudgetUses(totals.budgets, budget.uses()) } : {};
    return {
      projectId,
      fullName,
      status,
      ...(resumeAt ? { resumeAt } : {}),
      totals: { ...totals, durationMs: totals.durationMs + (clock() - started), ...budgets },
    };
  };
  /** The chunk ends until `resumeAtMs`: Step Functions waits when it falls before the run's deadline, else the next run resumes. */
  const paused = (resumeAtMs: number): SyncChunkResult =>
    result(resumeAtMs <= options.runDeadlineMs ? 'wait' : 'deferred', new Date(resumeAtMs).toISOString());
  /** Whether the budget admits one more request (always, without a budget); undefined when it does. */
  const budgetSpentUntil = async (): Promise<number | undefined> => {
    const admission = await budget?.admit();
    return admission && !admission.send ? admission.resumeAtMs : undefined;
  };

  /** Records the repository's new name and its id when GitHub redirected the request to `/repositories/<id>/...`. */
  const followRename = async (finalUrl: string | undefined): Promise<SyncChunkResult | undefined> => {
    const id = movedRepositoryId(finalUrl);
    if (id === undefined) return undefined;
    const spentUntil = await budgetSpentUntil();
    if (spentUntil !== undefined) return paused(spentUntil);
    totals = { ...totals, requests: totals.requests + 1 };
    const { data } = await deps.github.request('GET /repositories/{repository_id}', { repository_id: id, ...requestOptions });
    const moved = MovedRepositorySchema.safeParse(data);
    if (!moved.success) throw new InvalidDataError(`GitHub moved ${fullName} to repository ${id}, whose answer has no full_name`);
    await deps.projects.recordRepository(projectId, { id, fullName: moved.data.full_name });
    fullName = moved.data.full_name;
    return undefined;
  };
  /** A refused request: the chunk ends with the time to resume (rate limits), or the error is named. */
  const refused = (error: unknown): SyncChunkResult => {
    // Not GitHub's answer: our named errors (a malformed answer, an unreadable token secret) and AWS's
    // (DynamoDB) keep their names, which Step Functions retries or catches on.
    if (!(error instanceof RequestError)) throw error;
    const resumeAtMs = rateLimitedUntil(error, clock());
    if (resumeAtMs === undefined) throw classify(error, fullName);
    return paused(resumeAtMs);
  };

  const syncPages = async (writer: ItemsWriter): Promise<SyncChunkResult> => {
    for (let pages = 0; ; pages++) {
      if (pages >= options.maxPages || clock() >= options.stopAtMs) return result('more');
      const [owner, repo] = fullName.split('/') as [string, string];
      const conditional = state.page === 1 && state.etag ? { 'if-none-match': state.etag } : {};
      let response: Awaited<ReturnType<typeof deps.github.request<'GET /repos/{owner}/{repo}/issues'>>> | undefined;
      let finalUrl: string | undefined;
      try {
        const spentUntil = await budgetSpentUntil();
        if (spentUntil !== undefined) return paused(spentUntil);
        totals = { ...totals, requests: totals.requests + 1 };
        response = await deps.github.request('GET /repos/{owner}/{repo}/issues', {
          owner,
          repo,
          state: 'all',
          sort: 'updated',
          direction: 'asc',
          per_page: PER_PAGE,
          page: state.page,
          ...(state.cursor ? { since: state.cursor } : {}),
          headers: conditional,
          ...requestOptions,
        });
        finalUrl = response.url;
      } catch (error) {
        if (!(error instanceof RequestError) || error.status !== 304) return refused(error);
        // Unchanged; the 304 may come from the redirected request of a renamed repository.
        finalUrl = error.response?.url;
      }
      try {
        const stopped = await followRename(finalUrl);
        if (stopped) return stopped;
      } catch (error) {
        return refused(error);
      }
      if (!response) {
        totals = { ...totals, notModified: totals.notModified + 1 };
        await deps.projects.saveSyncState(projectId, { ...state, lastSyncedAt: new Date(clock()).toISOString() });
        return result('done');
      }

      if (typeof response.data === 'string') {
        // Octokit hands back the raw text when a JSON body does not parse: cut short in transit (a dropped
        // connection leaves it empty), which another attempt from the saved progress repairs.
        throw new TransientError(
          `GitHub's answer for ${fullName} was cut short or is not JSON (${(response.data as string).length} characters)`,
        );
      }
      const page = GitHubIssuePageSchema.safeParse(response.data);
      if (!page.success) {
        throw new InvalidDataError(
          `malformed issues page from GitHub for ${fullName}: ${page.error.issues[0]?.message ?? 'unexpected shape'}`,
        );
      }
      const items = page.data.map((issue) => toWorkItem(projectId, issue, deps.rules, project.revenueDefaults));
      // Until its first sync finishes, no webhook delivery is applied to the project: the sync writes alone.
      const written = await writer.upsert(items, { soleWriter: project.sync.lastSyncedAt === undefined });
      totals = { ...totals, fetched: totals.fetched + items.length, written: totals.written + written };

      const hasNext = /rel="next"/.test(response.headers.link ?? '');
      const newest = items.at(-1)?.updatedAt;
      if (hasNext) {
        // Move the window to the newest update seen; stay on it (next page) only if the page did not advance it. When the
        // last sync finished stays: until this one finishes, it is when the project was last confirmed.
        const finished = state.lastSyncedAt ? { lastSyncedAt: state.lastSyncedAt } : {};
        state =
          newest && newest !== state.cursor
            ? { cursor: newest, page: 1, ...finished }
            : { ...state, page: state.page + 1, etag: undefined };
        await deps.projects.saveSyncState(projectId, state);
        continue;
      }
      state = {
        ...(state.cursor ? { cursor: state.cursor } : {}),
        page: state.page,
        ...(state.page === 1 && response.headers.etag ? { etag: response.headers.etag } : {}),
        lastSyncedAt: new Date(clock()).toISOString(),
      };
      await deps.projects.saveSyncState(projectId, state);
      return result('done');
    }
  };

  try {
    // The chunk's pages are one write: the project's hourly aggregate is rebuilt once, after the last, not after each
    // page (a project of n bugs would be read n / 100 times). A crash mid-chunk leaves the write in flight, taken for
    // crashed once the Lambda's time limit is over.
    return await deps.items.writing(syncPages);
  } finally {
    // The pace holds after the chunk's last request too, so the next chunk in this Map slot may start at once.
    await budget?.release();
  }
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GitHub's wait after a rate limit that gives neither `retry-after` nor a reset: at least a minute. */
const SECONDARY_LIMIT_FALLBACK_MS = 60_000;

/**
 * When a refused request may be sent again (epoch ms), if GitHub refused it for a rate limit: the
 * primary limit's reset (plus a second) when it is spent, else `retry-after`, else at least a minute
 * for a secondary limit. GitHub answers either with 403 or 429.
 */
function rateLimitedUntil(error: RequestError, now: number): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const headers = error.response?.headers ?? {};
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === '0') return reset > 0 ? reset * 1000 + 1000 : now + SECONDARY_LIMIT_FALLBACK_MS;
  const retryAfter = Number(headers['retry-after']);
  if (retryAfter > 0) return now + retryAfter * 1000;
  if (error.status === 429 || /secondary rate limit/i.test(error.message)) return now + SECONDARY_LIMIT_FALLBACK_MS;
  return undefined;
}

function classify(error: RequestError, fullName: string): Error {
  // Octokit reports a failed fetch (refused connection, DNS, reset) as a 500 without a response.
  if (!error.response) return new TransientError(`GitHub could not be reached for ${fullName}: ${error.message}`, { cause: error });
  if (error.status === 401) return new AuthError(`GitHub refused the token (401) for ${fullName}`, { cause: error });
  if (error.status === 404)
    return new RepositoryNotFoundError(`repository ${fullName} does not exist or the token cannot see it (404)`, { cause: error });
  if (error.status >= 500 || error.status === 403) {
    return new TransientError(`GitHub answered ${error.status} for ${fullName}: ${error.message}`, { cause: error });
  }
  return new InvalidDataError(`GitHub answered ${error.status} for ${fullName}: ${error.message}`, { cause: error });
}

const MovedRepositorySchema = z.object({ full_name: z.string().regex(/^[^/]+\/[^/]+$/) });

/**
 * The repository id a request was redirected to. github.com answers a renamed or transferred repository
 * with 301 to `/repositories/<id>/<rest of the path>` (not to the new name), and fetch follows it.
 */
function movedRepositoryId(finalUrl: string | undefined): number | undefined {
  const match = /(?<!\/repos)\/repositories\/(\d+)\//.exec(finalUrl ? `${new URL(finalUrl).pathname}/` : '');
  return match ? Number(match[1]) : undefined;
}
