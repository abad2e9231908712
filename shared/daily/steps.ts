/**
 * The daily job's per-project steps, as the state machine runs them: list the projects (after checking
 * the token), sync each in chunks, compute its snapshot, record a project's failure, sum up the run.
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { RequestError } from '@octokit/request-error';
import type { RestEndpointMethodTypes } from '@octokit/rest';
import * as z from 'zod';
import { forEachConcurrently } from '../concurrency.ts';
import { type BugRules, cappedRevenueLabelOf } from '../domain/bugs.ts';
import { dailySnapshot } from '../domain/daily-metrics.ts';
import type { StepResult } from '../domain/job-run.ts';
import { failureAfter, newProject, type SyncFailure } from '../domain/project.ts';
import { type SyncTotals, ZERO_TOTALS } from '../domain/sync-totals.ts';
import { plainText } from '../domain/untrusted-text.ts';
import type { WorkItem } from '../domain/work-item.ts';
import { describeStepFunctionsError } from '../engine/step-functions-error.ts';
import { AuthError, ConfigError, InvalidDataError, SyncFailedError, TransientError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import { type SyncChunkResult, syncProjectChunk } from '../github/issue-sync.ts';
import { publishGitHubUsage, publishSyncOutcome } from '../metrics.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import type { SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';

export interface DailyDependencies {
  readonly github: () => Promise<GitHubClient>;
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly snapshots: SnapshotsStore;
  readonly events: SyncEventsStore;
  readonly rules: BugRules;
}

/** Margin kept at the end of the run's budget for metrics and bookkeeping. */
const RUN_DEADLINE_MARGIN_MS = 90_000;

export const ListProjectsInputSchema = z.object({ executionStartTime: z.iso.datetime() });

/** Org discovery: every repository of `org` that is not archived and was pushed within `activeWithinDays`. */
export interface OrgDiscovery {
  readonly org: string;
  readonly activeWithinDays: number;
}

/**
 * Checks that GitHub accepts the token (a bad token fails the whole run at once, without retries),
 * discovers the org's active repositories when configured, then lists the active projects and the
 * instant by which the run's syncing must be done.
 */
export async function listProjectsToSync(
  deps: Pick<DailyDependencies, 'github' | 'projects'>,
  input: z.infer<typeof ListProjectsInputSchema>,
  options: { readonly runTimeoutMs: number; readonly discovery?: OrgDiscovery },
): Promise<{ projectIds: string[]; runDeadline: string; discovered: number }> {
  const github = await deps.github();
  try {
    await github.request('GET /rate_limit');
  } catch (error) {
    throw listingError(error, 'check the token');
  }
  const now = new Date(input.executionStartTime);
  const discovered = options.discovery ? await discoverOrgRepositories(github, deps.projects, options.discovery, now) : 0;
  const projects = await deps.projects.listActive();
  const deadline = now.getTime() + options.runTimeoutMs - RUN_DEADLINE_MARGIN_MS;
  return { projectIds: projects.map((project) => project.projectId), runDeadline: new Date(deadline).toISOString(), discovered };
}

/** Projects whose repository id is looked up at once (one `GET /repos/{owner}/{repo}` each). */
const ID_LOOKUP_CONCURRENCY = 10;

/**
 * Registers the org's active repositories that are not projects yet. A repository is known by its GitHub
 * id, which a rename keeps, or by its name: each listed project gets its id and current name from the
 * listing, so a repository renamed in the org renames its project instead of becoming a second one. Only
 * when the listing holds a repository no project knows are the projects without an id (added by hand)
 * asked for theirs, once each (GitHub follows a rename's redirect), so one renamed before any listing
 * saw it is not added twice either.
 * @returns how many were added.
 */
async function discoverOrgRepositories(
  github: GitHubClient,
  projects: ProjectsStore,
  discovery: OrgDiscovery,
  now: Date,
): Promise<number> {
  const pushedSince = now.getTime() - discovery.activeWithinDays * 86_400_000;
  let repositories: RestEndpointMethodTypes['repos']['listForOrg']['response']['data'];
  try {
    repositories = await github.paginate('GET /orgs/{org}/repos', { org: discovery.org, type: 'all', per_page: 100 });
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) {
      throw new ConfigError(`github.org ${JSON.stringify(discovery.org)} is not an organization the token can see (404)`, {
        cause: error,
      });
    }
    throw listingError(error, `list the repositories of ${discovery.org}`);
  }
  const known = await projects.listActive();
  const byId = new Map(known.flatMap((project) => (project.repositoryId === undefined ? [] : [[project.repositoryId, project] as const])));
  const byName = new Map(
    known.flatMap((project) => [[project.projectId, project] as const, [project.fullName.toLowerCase(), project] as const]),
  );
  const listed = new Set<string>();
  const unknown = [];
  for (const repository of repositories) {
    const project = byId.get(repository.id) ?? byName.get(repository.full_name.toLowerCase());
    if (!project) {
      const active = !repository.archived && repository.pushed_at !== null && Date.parse(repository.pushed_at ?? '') >= pushedSince;
      if (active) unknown.push(repository);
      continue;
    }
    listed.add(project.projectId);
    // Another repository now has the name this project was known by: not this project's (nor addable: the id is taken).
    if (project.repositoryId !== undefined && project.repositoryId !== repository.id) continue;
    if (project.repositoryId !== repository.id || project.fullName !== repository.full_name) {
      await projects.recordRepository(project.projectId, { id: repository.id, fullName: repository.full_name });
    }
  }
  if (unknown.length === 0) return 0;

  const withoutId = known.filter((project) => project.repositoryId === undefined && !listed.has(project.projectId));
  await forEachConcurrently(withoutId, ID_LOOKUP_CONCURRENCY, async (project) => {
    const repository = await repositoryOf(github, project.fullName);
    if (!repository || !(await projects.recordRepository(project.projectId, repository))) return;
    byId.set(repository.id, project);
  });
  let added = 0;
  for (const repository of unknown) {
    // A project followed it under its former name, and was just renamed.
    if (byId.has(repository.id)) continue;
    if (await projects.add({ ...newProject({ repository: repository.full_name }, now), repositoryId: repository.id })) added++;
  }
  return added;
}

/** The repository's id and current name (a renamed one's, through GitHub's redirect); undefined when it is gone (404). */
async function repositoryOf(github: GitHubClient, fullName: string): Promise<{ id: number; fullName: string } | undefined> {
  const [owner, repo] = fullName.split('/') as [string, string];
  try {
    const { data } = await github.request('GET /repos/{owner}/{repo}', { owner, repo });
    return { id: Number(data.id), fullName: data.full_name };
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return undefined;
    throw listingError(error, `look up ${fullName}`);
  }
}

/**
 * A failed GitHub request of List Projects: a refused token fails the run at once; any other answer or a
 * failed fetch is worth another attempt. Errors that are not GitHub's (an unreadable token secret) keep their names.
 */
function listingError(error: unknown, what: string): unknown {
  if (!(error instanceof RequestError)) return error;
  if (error.status === 401) return new AuthError(`GitHub refused the token: ${error.message}`, { cause: error });
  return new TransientError(`GitHub could not be reached to ${what}: ${error.message}`, { cause: error });
}

const TotalsSchema = z.object({
  fetched: z.number(),
  written: z.number(),
  requests: z.number(),
  notModified: z.number(),
  durationMs: z.number(),
});

export const SyncProjectInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  runDeadline: z.iso.datetime(),
  totals: TotalsSchema.default(ZERO_TOTALS),
});

/**
 * Syncs the next chunk of a project and, once it is done (or deferred to the next run), records what
 * the sync fetched and cost in SyncEvents.
 */
export async function syncProjectStep(
  deps: Pick<DailyDependencies, 'github' | 'projects' | 'items' | 'events' | 'rules'> & { readonly metrics?: Metrics },
  input: z.infer<typeof SyncProjectInputSchema>,
  options: { readonly stopAtMs: number; readonly maxPages: number },
): Promise<SyncChunkResult> {
  const result = await syncProjectChunk(
    { github: await deps.github(), projects: deps.projects, items: deps.items, rules: deps.rules },
    input.projectId,
    {
      totals: input.totals as SyncTotals,
      maxPages: options.maxPages,
      stopAtMs: options.stopAtMs,
      runDeadlineMs: Date.parse(input.runDeadline),
    },
  );
  if (result.status === 'done' || result.status === 'deferred') {
    const { totals } = result;
    await deps.events.append({
      runId: input.runId,
      timestamp: new Date().toISOString(),
      eventType: 'github_sync',
      level: result.status === 'done' ? 'info' : 'warn',
      project: result.fullName,
      message:
        `fetched ${totals.fetched} item(s) in ${totals.requests} request(s), ` +
        `${totals.notModified} answered 304, ${totals.written} written` +
        (result.status === 'deferred' ? `; rate limit spent until ${result.resumeAt}, the next run resumes` : ''),
      recordsProcessed: totals.fetched,
      durationMs: totals.durationMs,
    });
    if (deps.metrics) publishGitHubUsage(deps.metrics, totals);
  }
  return result;
}

export const ProjectInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  scheduledTime: z.iso.datetime(),
  /** How the project's sync ended: done, or deferred to the next run by a rate limit. */
  // An execution started before a deploy runs the old definition, which sends none: read as done, as the
  // old function did (deferred included).
  syncStatus: z.enum(['done', 'deferred']).default('done'),
});

/**
 * Computes and stores a project's daily snapshot as of the run's scheduled time, from what is stored. A
 * sync that finished (`done`) ends the project's failure streak; a deferred one has not synced it yet, so
 * the streak stays.
 */
export async function computeProjectMetrics(
  deps: Pick<DailyDependencies, 'projects' | 'items' | 'snapshots' | 'events' | 'rules'>,
  input: z.infer<typeof ProjectInputSchema>,
): Promise<{ projectId: string; healthScore: number }> {
  const project = await deps.projects.get(input.projectId);
  if (!project) throw new InvalidDataError(`project ${input.projectId} is not registered`);
  const items = await deps.items.listForProject(input.projectId);
  const snapshot = dailySnapshot(project, items, deps.rules, new Date(input.scheduledTime));
  await deps.snapshots.putDaily(snapshot);
  await warnOfCappedRevenue(deps, input, items);
  if (project.failure && input.syncStatus === 'done') await deps.projects.clearFailure(input.projectId);
  return { projectId: input.projectId, healthScore: snapshot.health.score };
}

/**
 * Anyone who can label an issue sets its revenue; a label over the cap counts for the cap, and this warning names
 * each one, so the revenue at risk on-call is paged with can be traced to its labels.
 */
async function warnOfCappedRevenue(
  deps: Pick<DailyDependencies, 'events' | 'rules'>,
  input: z.infer<typeof ProjectInputSchema>,
  items: readonly WorkItem[],
): Promise<void> {
  const capped = items.flatMap((item) => {
    const label = item.kind === 'bug' && item.state === 'open' ? cappedRevenueLabelOf(item.labels, deps.rules) : undefined;
    return label ? [`#${item.number} "${plainText(label.label, 60)}"`] : [];
  });
  if (capped.length === 0) return;
  const cap = `$${deps.rules.maxRevenuePerBug.toLocaleString('en-US')}/day`;
  await deps.events.append({
    runId: input.runId,
    timestamp: new Date().toISOString(),
    eventType: 'metrics',
    level: 'warn',
    project: input.projectId,
    message: `${capped.length} revenue label(s) above the cap of ${cap} counted as ${cap}: ${capped.slice(0, 10).join(', ')}`,
    recordsProcessed: capped.length,
  });
}

export const ProjectFailureInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  scheduledTime: z.iso.datetime(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

/**
 * Records one project's failure: its failure streak on the project (the watchdog alerts on a long one)
 * and the error in SyncEvents. The other projects go on.
 */
export async function recordProjectFailure(
  deps: Pick<DailyDependencies, 'events' | 'projects'>,
  input: z.infer<typeof ProjectFailureInputSchema>,
): Promise<{ projectId: string; recordsProcessed: number; recordsFailed: number }> {
  const error = describeStepFunctionsError(input.error);
  const message = `${error.name}: ${error.message}`;
  // The streak first: it is idempotent per run, so a retry after a failed event write counts the run once.
  const streak = await extendFailureStreak(deps.projects, input.projectId, {
    runId: input.runId,
    at: input.scheduledTime,
    error: message,
  });
  await deps.events.append({
    runId: input.runId,
    timestamp: new Date().toISOString(),
    eventType: 'github_sync',
    level: 'error',
    project: input.projectId,
    message:
      streak && streak.consecutiveRuns > 1
        ? `${message} (failed ${streak.consecutiveRuns} runs in a row, since ${streak.since})`
        : message,
    recordsFailed: 1,
  });
  return { projectId: input.projectId, recordsProcessed: 0, recordsFailed: 1 };
}

/** @returns the project's streak including this run; undefined when the project was removed meanwhile. */
async function extendFailureStreak(
  projects: ProjectsStore,
  projectId: string,
  failed: { readonly runId: string; readonly at: string; readonly error: string },
): Promise<SyncFailure | undefined> {
  const project = await projects.get(projectId);
  if (!project) return undefined;
  const next = failureAfter(project.failure, failed);
  if (next === project.failure) return next;
  if (await projects.saveFailure(projectId, next, project.failure?.lastRunId)) return next;
  if (!(await projects.get(projectId))) return undefined;
  throw new TransientError(`the failure streak of ${projectId} changed while it was being recorded`);
}

export const SyncSummaryInputSchema = z.object({
  projects: z.array(z.object({ projectId: z.string(), recordsProcessed: z.number(), recordsFailed: z.number() })),
});

/** Failed projects named in a summary at most; the rest are counted. */
const NAMED_FAILURES = 5;

/**
 * Adds up the projects' outcomes into the run's step result, and publishes how many failed. Some failed
 * projects leave the run completed, each failure recorded; a run in which every project failed synced
 * nothing, so it fails.
 * @throws SyncFailedError when there were projects and every one failed.
 */
export function summarizeSync(input: z.infer<typeof SyncSummaryInputSchema>, metrics?: Metrics): Omit<StepResult, 'attempt'> {
  const failed = input.projects.filter((project) => project.recordsFailed > 0).map((project) => project.projectId);
  if (metrics) publishSyncOutcome(metrics, { projectsFailed: failed.length });
  const named =
    failed.slice(0, NAMED_FAILURES).join(', ') + (failed.length > NAMED_FAILURES ? ` and ${failed.length - NAMED_FAILURES} more` : '');
  const synced = `${input.projects.length - failed.length} of ${input.projects.length} project(s) synced`;
  const summary = synced + (failed.length ? `, ${failed.length} failed (${named})` : '');
  if (failed.length > 0 && failed.length === input.projects.length) {
    throw new SyncFailedError(`${summary}; each project's error is in SyncEvents`);
  }
  return {
    recordsProcessed: input.projects.reduce((sum, project) => sum + project.recordsProcessed, 0),
    recordsFailed: input.projects.reduce((sum, project) => sum + project.recordsFailed, 0),
    summary,
  };
}
