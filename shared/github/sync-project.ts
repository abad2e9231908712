/**
 * Incremental sync of one project's issues and pull requests, one bounded chunk per call.
 *
 * Each request asks for items updated since the cursor, oldest first, 100 at a time; after each page the
 * items are upserted and the cursor moves to the newest update time seen, and that progress is saved, so
 * a crash loses nothing and repeats nothing. The final request of a sync is remembered with its ETag:
 * next time, an unchanged repository answers 304, which costs no rate-limit points.
 */
import { RequestError } from '@octokit/request-error';
import type { BugRules } from '../domain/bugs.ts';
import type { SyncState } from '../domain/project.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../domain/work-item.ts';
import { AuthError, InvalidDataError, RepositoryNotFoundError, TransientError } from '../errors.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import type { GitHubClient } from './client.ts';

/** What one project's sync has cost and brought so far in this run (carried from chunk to chunk). */
export interface SyncTotals {
  readonly fetched: number;
  readonly written: number;
  readonly requests: number;
  readonly notModified: number;
  readonly durationMs: number;
}

export const ZERO_TOTALS: SyncTotals = { fetched: 0, written: 0, requests: 0, notModified: 0, durationMs: 0 };

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
  readonly clock?: () => number;
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
  const result = (status: SyncStatus, resumeAt?: string): SyncChunkResult => ({
    projectId,
    fullName,
    status,
    ...(resumeAt ? { resumeAt } : {}),
    totals: { ...totals, durationMs: totals.durationMs + (clock() - started) },
  });

  for (let pages = 0; ; pages++) {
    if (pages >= options.maxPages || clock() >= options.stopAtMs) return result('more');
    const [owner, repo] = fullName.split('/') as [string, string];
    const conditional = state.page === 1 && state.etag ? { 'if-none-match': state.etag } : {};
    let response;
    try {
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
      });
    } catch (error) {
      if (!(error instanceof RequestError)) throw new TransientError(`GitHub request for ${fullName} failed: ${(error as Error).message}`);
      if (error.status === 304) {
        totals = { ...totals, notModified: totals.notModified + 1 };
        await deps.projects.saveSyncState(projectId, { ...state, lastSyncedAt: new Date(clock()).toISOString() });
        return result('done');
      }
      const resetAt = primaryLimitReset(error);
      if (resetAt !== undefined) {
        const resumeAt = new Date(resetAt * 1000 + 1000).toISOString();
        return result(resetAt * 1000 < options.runDeadlineMs ? 'wait' : 'deferred', resumeAt);
      }
      throw classify(error, fullName);
    }

    const renamed = renamedRepository(response.url, fullName);
    if (renamed) {
      await deps.projects.rename(projectId, renamed);
      fullName = renamed;
    }
    const page = GitHubIssuePageSchema.safeParse(response.data);
    if (!page.success) {
      throw new InvalidDataError(`malformed issues page from GitHub for ${fullName}: ${page.error.issues[0]?.message ?? 'unexpected shape'}`);
    }
    const items = page.data.map((issue) => toWorkItem(projectId, issue, deps.rules, project.revenueDefaults));
    const written = await deps.items.upsert(items);
    totals = { ...totals, fetched: totals.fetched + items.length, written: totals.written + written };

    const hasNext = /rel="next"/.test(response.headers.link ?? '');
    const newest = items.at(-1)?.updatedAt;
    if (hasNext) {
      // Move the window to the newest update seen; stay on it (next page) only if the page did not advance it.
      state = newest && newest !== state.cursor ? { cursor: newest, page: 1 } : { ...state, page: state.page + 1, etag: undefined };
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
}

/** The primary limit's reset (epoch seconds) when GitHub refused a request because it is spent. */
function primaryLimitReset(error: RequestError): number | undefined {
  const headers = error.response?.headers ?? {};
  if ((error.status === 403 || error.status === 429) && headers['x-ratelimit-remaining'] === '0') {
    return Number(headers['x-ratelimit-reset']);
  }
  return undefined;
}

function classify(error: RequestError, fullName: string): Error {
  if (error.status === 401) return new AuthError(`GitHub refused the token (401) for ${fullName}`);
  if (error.status === 404) return new RepositoryNotFoundError(`repository ${fullName} does not exist or the token cannot see it (404)`);
  if (error.status >= 500 || error.status === 429 || error.status === 403) {
    return new TransientError(`GitHub answered ${error.status} for ${fullName}: ${error.message}`);
  }
  return new InvalidDataError(`GitHub answered ${error.status} for ${fullName}: ${error.message}`);
}

/** The repository's new name when the request was redirected (GitHub answers 301 to a renamed repository). */
function renamedRepository(finalUrl: string, fullName: string): string | undefined {
  const match = /\/repos\/([^/]+)\/([^/?]+)\/issues/.exec(finalUrl);
  if (!match) return undefined;
  const current = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`;
  return current.toLowerCase() === fullName.toLowerCase() ? undefined : current;
}
