/**
 * The daily job's per-project steps, as the state machine runs them: list the projects (after checking
 * the token), sync each in chunks, compute its snapshot, record a project's failure, sum up the run.
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { RequestError } from '@octokit/request-error';
import * as z from 'zod';
import { forEachConcurrently } from '../concurrency.ts';
import { type BugRules, cappedRevenueLabelOf } from '../domain/bugs.ts';
import { dailySnapshot } from '../domain/daily-metrics.ts';
import { OPEN_STATUSES, type StepResult } from '../domain/job-run.ts';
import { failureAfter, newProject, type Project, type SyncFailure } from '../domain/project.ts';
import {
  addBudgetUses,
  type BudgetUse,
  type DeferralCause,
  DeferralCauseSchema,
  describeBudgetUses,
  SyncTotalsSchema,
} from '../domain/sync-totals.ts';
import { plainText } from '../domain/untrusted-text.ts';
import type { WorkItem } from '../domain/work-item.ts';
import { describeStepFunctionsError } from '../engine/step-functions-error.ts';
import { AuthError, ConfigError, InvalidDataError, SyncFailedError, TransientError } from '../errors.ts';
import type { RepositoryRef } from '../github/app.ts';
import type { GitHubClient } from '../github/client.ts';
import { type SyncChunkResult, syncProjectChunk } from '../github/issue-sync.ts';
import type { RateBudgets } from '../github/rate-budget.ts';
import { publishSyncOutcome } from '../metrics.ts';
import { deactivateProject, ProjectsByRepository } from '../projects/repository-changes.ts';
import type { AlertsStore, EvaluationSource } from '../store/alerts-store.ts';
import type { JobHistoryStore } from '../store/job-history-store.ts';
import type { ProjectRange, ProjectsStore } from '../store/projects-store.ts';
import type { SnapshotsStore } from '../store/snapshots-store.ts';
import type { SyncEventsStore } from '../store/sync-events-store.ts';
import type { WorkItemsStore } from '../store/work-items-store.ts';
import { tokenErrorOf } from './token-error.ts';

export interface DailyDependencies {
  /** A repository's client (its GitHub App installation's); without one, the client that checks and discovers. */
  readonly github: (repository?: RepositoryRef) => Promise<GitHubClient>;
  readonly projects: ProjectsStore;
  readonly items: WorkItemsStore;
  readonly snapshots: SnapshotsStore;
  readonly events: SyncEventsStore;
  readonly rules: BugRules;
}

/** Margin kept at the end of the run's budget for metrics and bookkeeping. */
const RUN_DEADLINE_MARGIN_MS = 90_000;
/**
 * Margin kept per range for a child execution started after the deadline: it records its projects deferred (a run
 * outcome and a SyncEvent each, 25 a range) and syncs none, in well under a second a range.
 */
const LATE_RANGE_MARGIN_MS = 250;

/**
 * Projects in one range of List Projects' output (an item of the Distributed Map, which batches ranges into child
 * executions). Ranges rather than ids keep the output small at any number of projects: 10,000 ids of ~30 bytes would
 * pass a state's 256 KiB, 400 ranges take about 30 KB.
 */
export const PROJECTS_PER_RANGE = 25;

export const ListProjectsInputSchema = z.object({
  runId: z.string().min(1),
  executionStartTime: z.iso.datetime(),
  scheduledTime: z.iso.datetime(),
});

/**
 * The daily job's mark in the Alerts table (`evaluated#daily`): the latest scheduled time a daily run has claimed. The daily
 * job raises no alert; it shares the hourly job's conditional claim so a replay is told apart the same way.
 */
const DAILY_EVALUATION: EvaluationSource = 'daily';

/** What a replay's summary starts with: its figures are of its own time, and it changed nothing a later run owns. */
export function dailyReplayNote(at: Date, latest: string): string {
  return `replay of ${at.toISOString()} (the daily job last ran for ${latest}): nothing synced, project state unchanged`;
}

/** Org discovery: every repository of `org` that is not archived and was pushed within `activeWithinDays`. */
export interface OrgDiscovery {
  readonly org: string;
  readonly activeWithinDays: number;
}

/** Org discovery as List Projects runs it: its settings, and the SyncEvents that say which projects it deactivated and why. */
export interface OrgDiscoveryStep extends OrgDiscovery {
  readonly events: Pick<SyncEventsStore, 'append'>;
}

/**
 * Claims the run's scheduled time as the daily job's latest, then checks that GitHub accepts the token (a bad token fails
 * the whole run at once, without retries), discovers the org's active repositories when configured, and lists the active
 * projects and the instant by which the run's syncing must be done. A run scheduled before the latest claimed one is a
 * replay (`replayOf` names the latest): it asks GitHub nothing and changes no project, so its projects' snapshots are
 * computed as of its own time from what is stored.
 */
export async function listProjectsToSync(
  deps: Pick<DailyDependencies, 'github' | 'projects'> & { readonly alerts: Pick<AlertsStore, 'claimEvaluation'> },
  input: z.infer<typeof ListProjectsInputSchema>,
  options: { readonly runTimeoutMs: number; readonly discovery?: OrgDiscoveryStep },
): Promise<{ batches: ProjectRange[]; projectCount: number; runDeadline: string; discovered: number; replayOf: string | null }> {
  const evaluation = await deps.alerts.claimEvaluation(DAILY_EVALUATION, new Date(input.scheduledTime));
  const now = new Date(input.executionStartTime);
  let discovered = 0;
  if (!evaluation.replay) {
    const github = await deps.github();
    try {
      await github.request('GET /rate_limit');
    } catch (error) {
      throw listingError(error, 'check the token');
    }
    if (options.discovery) {
      discovered = await discoverOrgRepositories(github, deps.projects, options.discovery, { runId: input.runId, now });
    }
  }
  const active = await deps.projects.listActive();
  const batches = rangesOf(active);
  const deadline = now.getTime() + options.runTimeoutMs - RUN_DEADLINE_MARGIN_MS - batches.length * LATE_RANGE_MARGIN_MS;
  return {
    batches,
    projectCount: active.length,
    runDeadline: new Date(deadline).toISOString(),
    discovered,
    replayOf: evaluation.replay ? evaluation.latest : null,
  };
}

/**
 * The projects' ids, sorted, cut into ranges of PROJECTS_PER_RANGE (each from after the previous one's last id through its
 * own last), the ranges whose projects have waited longest since a finished sync first, those with a project never synced
 * first of all. Child executions take the ranges in this order, so the projects a run's deadline deferred start the next
 * run rather than being deferred again every day.
 */
function rangesOf(projects: readonly Project[]): ProjectRange[] {
  const sortedIds = projects.map((project) => project.projectId).sort();
  const lastSyncedAt = new Map(projects.map((project) => [project.projectId, project.sync.lastSyncedAt ?? '']));
  const ranges: { readonly range: ProjectRange; readonly oldestSync: string }[] = [];
  for (let start = 0; start < sortedIds.length; start += PROJECTS_PER_RANGE) {
    const ids = sortedIds.slice(start, start + PROJECTS_PER_RANGE);
    const oldestSync = ids.map((id) => lastSyncedAt.get(id)!).sort()[0]!;
    ranges.push({ range: { after: start === 0 ? null : sortedIds[start - 1]!, through: ids.at(-1)! }, oldestSync });
  }
  // Array.prototype.sort is stable: ranges equally overdue keep their id order.
  return ranges.sort((a, b) => (a.oldestSync < b.oldestSync ? -1 : a.oldestSync > b.oldestSync ? 1 : 0)).map(({ range }) => range);
}

/**
 * How long a child execution syncs: an Express child lasts at most 5 minutes (it fails past them), and the last
 * minute is left for its projects' snapshots and the chunk that was running. A project not done by then is deferred
 * to the next run with its progress saved. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html
 */
export const CHILD_SYNC_BUDGET_MS = 4 * 60_000;

export const BatchProjectsInputSchema = z.object({
  /**
   * The run's id: a child execution redriven with its Map Run lists only the projects it has not synced in this run.
   * An execution started before a deploy runs the old definition, which sends none: every project is listed, as before.
   */
  runId: z.string().min(1).optional(),
  ranges: z.array(z.object({ after: z.string().nullable(), through: z.string() })).min(1),
  /** The run's deadline (List Projects'). */
  runDeadline: z.iso.datetime(),
  /** When the child execution started ($$.Execution.StartTime). */
  childStartTime: z.iso.datetime(),
});

/** Outcomes and SyncEvents a child started after the deadline writes at once. */
const DEFERRAL_WRITE_CONCURRENCY = 16;

/**
 * The ids of a child execution's projects: the active projects in its ranges now, but those already synced in this run.
 * A project added or deactivated since List Projects is synced or skipped by the one range it falls in, and a child
 * started again (a redrive of the parent reruns its failed or unfinished children) syncs only the projects its earlier
 * attempt did not sync (a failed or deferred one included): no project is synced twice. Leaving them out here rather
 * than returning at once from Sync Project costs them no state transition, and keeps the outcome each recorded for the
 * run's totals.
 *
 * Its projects sync until `runDeadline`: the run's, or {@link CHILD_SYNC_BUDGET_MS} after the child started when that
 * comes first. A child that lists its projects after the run's deadline syncs none: it records each project deferred (an outcome and a
 * SyncEvent) and returns no id, so the run's remaining children end within its margin rather than calling two functions
 * a project. Unless the run has ended (the reconciler closed it): then the child belongs to a redrive of the run, whose
 * deadline List Projects could not know, and its projects sync for {@link CHILD_SYNC_BUDGET_MS}.
 */
export async function listBatchProjects(
  deps: Pick<DailyDependencies, 'projects' | 'events'> & { readonly runs: Pick<JobHistoryStore, 'get'> },
  input: z.infer<typeof BatchProjectsInputSchema>,
  now: Date,
): Promise<{ projectIds: string[]; runDeadline: string }> {
  const projectIds = (await Promise.all(input.ranges.map((range) => deps.projects.listActiveIds(range, input.runId)))).flat();
  const childStart = Date.parse(input.childStartTime);
  const childDeadline = childStart + CHILD_SYNC_BUDGET_MS;
  const runDeadline = Date.parse(input.runDeadline);
  if (now.getTime() < runDeadline || input.runId === undefined) {
    return { projectIds, runDeadline: new Date(Math.min(runDeadline, childDeadline)).toISOString() };
  }
  const run = await deps.runs.get(input.runId);
  if (run && !(OPEN_STATUSES as readonly string[]).includes(run.status))
    return { projectIds, runDeadline: new Date(childDeadline).toISOString() };
  const { runId } = input;
  const reason = `the run's time for syncing ran out at ${input.runDeadline}, before this project's turn; the next run takes it first`;
  await forEachConcurrently(projectIds, DEFERRAL_WRITE_CONCURRENCY, async (projectId) => {
    await deps.projects.recordRunOutcome(projectId, { runId, status: 'deferred', reason });
    await deps.events.append({
      runId,
      timestamp: now.toISOString(),
      eventType: 'github_sync',
      level: 'warn',
      project: projectId,
      message: `not synced: ${reason}`,
      recordsProcessed: 0,
      durationMs: 0,
    });
  });
  return { projectIds: [], runDeadline: input.runDeadline };
}

/** Projects whose repository id is looked up at once (one `GET /repos/{owner}/{repo}` each). */
const ID_LOOKUP_CONCURRENCY = 10;

/**
 * Registers the org's active repositories that are not projects yet, and deactivates the org's projects whose repository
 * was archived or deleted (a SyncEvent says which and why). A repository is known by its GitHub id, which a rename or a
 * transfer keeps, or by its name: each listed project gets its id and current name from the listing, so a repository
 * renamed in the org renames its project instead of becoming a second one. A project of the org the listing leaves out
 * is asked for once (by id when known; GitHub follows a rename's redirect): only a 404 means it was deleted, and one
 * transferred to another owner keeps being followed under its new name. Projects of other owners are never deactivated;
 * those without an id (added by hand) are asked for theirs only when the listing holds a repository no project knows,
 * so one renamed into the org before any listing saw it is not added twice either. A failed listing changes nothing.
 * @returns how many were added.
 */
async function discoverOrgRepositories(
  github: GitHubClient,
  projects: ProjectsStore,
  discovery: OrgDiscoveryStep,
  run: { readonly runId: string; readonly now: Date },
): Promise<number> {
  const pushedSince = run.now.getTime() - discovery.activeWithinDays * 86_400_000;
  let repositories: OrgRepository[];
  try {
    repositories = await orgRepositories(github, discovery.org);
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) {
      throw new ConfigError(`github.org ${JSON.stringify(discovery.org)} is not an organization the token can see (404)`, {
        cause: error,
      });
    }
    throw listingError(error, `list the repositories of ${discovery.org}`);
  }
  const deactivate = (project: Project, fullName: string, why: string) =>
    deactivateProject({ projects, events: discovery.events }, project, fullName, why, run.runId);
  const ofTheOrg = (project: Project) => project.fullName.split('/')[0]!.toLowerCase() === discovery.org.toLowerCase();

  const known = await projects.listActive();
  const following = new ProjectsByRepository(known);
  const listed = new Set<string>();
  const unknown: OrgRepository[] = [];
  for (const repository of repositories) {
    const project = following.find(repository);
    if (!project) {
      const active = !repository.archived && repository.pushedAt !== null && Date.parse(repository.pushedAt) >= pushedSince;
      if (active) unknown.push(repository);
      continue;
    }
    // Another repository now has the name this project was known by: not this project's (nor addable: the id is taken).
    if (project.repositoryId !== undefined && project.repositoryId !== repository.id) continue;
    listed.add(project.projectId);
    if (project.repositoryId !== repository.id || project.fullName !== repository.fullName) {
      await projects.recordRepository(project.projectId, repository);
    }
    if (repository.archived) await deactivate(project, repository.fullName, `GitHub lists ${repository.fullName} as archived`);
  }

  const unlisted = known.filter(
    (project) => !listed.has(project.projectId) && (ofTheOrg(project) || (unknown.length > 0 && project.repositoryId === undefined)),
  );
  await forEachConcurrently(unlisted, ID_LOOKUP_CONCURRENCY, async (project) => {
    const repository = await repositoryOf(github, project);
    if (!repository) {
      const asked = project.repositoryId === undefined ? project.fullName : `repository id ${project.repositoryId}`;
      if (ofTheOrg(project)) await deactivate(project, project.fullName, `GitHub answers 404 for ${asked}: deleted`);
      return;
    }
    const changed = repository.id !== project.repositoryId || repository.fullName !== project.fullName;
    if (changed && !(await projects.recordRepository(project.projectId, repository))) return;
    following.remember(repository.id, project);
  });
  let added = 0;
  for (const repository of unknown) {
    // A project followed it under its former name, and was just renamed.
    if (following.knows(repository.id)) continue;
    if (await projects.add({ ...newProject({ repository: repository.fullName }, run.now), repositoryId: repository.id })) added++;
  }
  return added;
}

/** What discovery reads of a listed repository. */
interface OrgRepository {
  readonly id: number;
  readonly fullName: string;
  readonly archived: boolean;
  readonly pushedAt: string | null;
}

/**
 * Every repository of the org, archived ones included, page by page.
 * @throws TransientError when a page was cut short in transit or is not JSON: Octokit then hands back its raw text (empty
 * when the connection dropped), which `github.paginate` would take for the last, empty page, and a listing missing
 * repositories would have their projects looked up as if gone.
 */
async function orgRepositories(github: GitHubClient, org: string): Promise<OrgRepository[]> {
  const repositories: OrgRepository[] = [];
  for (let page = 1; ; page++) {
    const { data, headers } = await github.request('GET /orgs/{org}/repos', { org, type: 'all', per_page: 100, page });
    if (!Array.isArray(data)) throw new TransientError(`GitHub's page ${page} of the repositories of ${org} was cut short or is not JSON`);
    repositories.push(
      ...data.map((repository) => ({
        id: Number(repository.id),
        fullName: repository.full_name,
        archived: repository.archived ?? false,
        pushedAt: repository.pushed_at ?? null,
      })),
    );
    if (!/rel="next"/.test(headers.link ?? '')) return repositories;
  }
}

/**
 * The repository's id and current name, asked for by its id when known (a rename or transfer keeps it), else by name
 * (GitHub follows a rename's redirect); undefined when it is gone (404).
 */
async function repositoryOf(github: GitHubClient, project: Project): Promise<{ id: number; fullName: string } | undefined> {
  const [owner, repo] = project.fullName.split('/') as [string, string];
  try {
    const { data } =
      project.repositoryId === undefined
        ? await github.request('GET /repos/{owner}/{repo}', { owner, repo })
        : await github.request('GET /repositories/{repository_id}', { repository_id: project.repositoryId });
    return { id: Number(data.id), fullName: data.full_name };
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return undefined;
    throw listingError(error, `look up ${project.fullName}`);
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

export const SyncProjectInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  /** Until when the project may sync in this run: its child execution's deadline (see listBatchProjects). */
  runDeadline: z.iso.datetime(),
  totals: SyncTotalsSchema.default({ fetched: 0, written: 0, requests: 0, notModified: 0, durationMs: 0 }),
});

/**
 * Syncs the next chunk of a project through its client's GitHub budget (paced, stopping at the reserve) and, once it
 * is done or deferred to the next run, records what the sync fetched and cost in SyncEvents, and why it was deferred.
 * A chunk stops by the run's deadline; a project not done by then is deferred, its progress saved.
 */
export async function syncProjectStep(
  deps: Pick<DailyDependencies, 'github' | 'projects' | 'items' | 'events' | 'rules'> & {
    /** This container's budgets for a run (see rateBudgetsByRun in shared/dependencies.ts). */
    readonly budgets: (runId: string) => RateBudgets;
  },
  input: z.infer<typeof SyncProjectInputSchema>,
  options: { readonly stopAtMs: number; readonly maxPages: number },
): Promise<SyncChunkResult & { readonly deferredFor: DeferralCause | null }> {
  const project = await deps.projects.get(input.projectId);
  if (!project) throw new InvalidDataError(`project ${input.projectId} is not registered`);
  const runDeadlineMs = Date.parse(input.runDeadline);
  const budgets = deps.budgets(input.runId);
  let result: SyncChunkResult;
  try {
    const github = await deps.github(project);
    result = await syncProjectChunk({ github, projects: deps.projects, items: deps.items, rules: deps.rules }, input.projectId, {
      totals: input.totals,
      maxPages: options.maxPages,
      stopAtMs: Math.min(options.stopAtMs, runDeadlineMs),
      runDeadlineMs,
      budget: budgets.for(github.budgetKey),
    });
  } catch (error) {
    // It fails the run from a child execution, whose error the parent cannot read: the parent finds it on the project.
    if (error instanceof AuthError || error instanceof ConfigError) {
      const { name: errorName, message } = error;
      await deps.projects.recordRunOutcome(input.projectId, { runId: input.runId, status: 'token-unusable', errorName, message });
    }
    throw error;
  }
  // More to sync but no time left in the run: the next run resumes from the saved progress.
  if (result.status === 'more' && Date.now() >= runDeadlineMs) result = { ...result, status: 'deferred' };
  // A deferral with a reset time waits for GitHub's budget; without one, the run's time ran out.
  const deferredFor = result.status !== 'deferred' ? null : result.resumeAt === undefined ? 'time' : 'rate-limit';
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
        (result.status === 'deferred' ? `; ${deferralReason(result, budgets, input.runDeadline)}, the next run resumes` : ''),
      recordsProcessed: totals.fetched,
      durationMs: totals.durationMs,
    });
  }
  return { ...result, deferredFor };
}

/** Why a project's sync was deferred: its budget down to the reserve, GitHub's refusal, or the run's time spent. */
function deferralReason(result: SyncChunkResult, budgets: RateBudgets, runDeadline: string): string {
  if (result.resumeAt === undefined) return `the run's time for it ran out at ${runDeadline}, its progress is saved`;
  const figure = (value: number) => value.toLocaleString('en-US');
  for (const [key, use] of Object.entries(result.totals.budgets ?? {})) {
    const reserve = budgets.for(key).reserveOf(use.limit);
    if (use.remaining <= reserve) {
      return (
        `${key} is down to its reserve (${figure(use.remaining)} of ${figure(use.limit)} left, ` +
        `${figure(reserve)} kept for others) until ${result.resumeAt}`
      );
    }
  }
  return `GitHub's rate limit is spent until ${result.resumeAt}`;
}

export const ProjectInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  scheduledTime: z.iso.datetime(),
  /** How the project's sync ended: done, deferred to the next run by a rate limit, or skipped (the run is a replay). */
  // An execution started before a deploy runs the old definition, which sends none: read as done, as the
  // old function did (deferred included).
  syncStatus: z.enum(['done', 'deferred', 'skipped']).default('done'),
  /** Why it was deferred (Sync Project's `deferredFor`); an execution started before a deploy sends none. */
  deferredFor: DeferralCauseSchema.nullable().default(null),
  /** Items the project's sync wrote in this run (its outcome's records processed). */
  recordsProcessed: z.number().int().min(0).default(0),
  /** What the project's sync spent of each GitHub budget in this run. */
  budgets: SyncTotalsSchema.shape.budgets,
});

/**
 * Computes and stores a project's daily snapshot as of the run's scheduled time, from what is stored. A
 * sync that finished (`done`) ends the project's failure streak; a deferred one has not synced it yet, and
 * a replay's skipped one is not this run's to end, so the streak stays.
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
  const { runId, recordsProcessed, budgets } = input;
  await deps.projects.recordRunOutcome(input.projectId, {
    runId,
    status: 'synced',
    recordsProcessed,
    healthScore: snapshot.health.score,
    ...(input.syncStatus === 'deferred' ? { deferred: true, ...(input.deferredFor ? { deferredFor: input.deferredFor } : {}) } : {}),
    ...(budgets && Object.keys(budgets).length > 0 ? { budgets } : {}),
  });
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

/** The latest daily run's scheduled time when this run replays an earlier one (see listProjectsToSync); an older definition sends none. */
const ReplayOfSchema = z.string().nullable().default(null);

export const ProjectFailureInputSchema = z.object({
  runId: z.string().min(1),
  projectId: z.string().min(1),
  scheduledTime: z.iso.datetime(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  replayOf: ReplayOfSchema,
});

/**
 * Records one project's failure: its failure streak on the project (the watchdog alerts on a long one)
 * and the error in SyncEvents. The other projects go on. A replay's failure is only logged: the streak
 * belongs to the latest runs.
 */
export async function recordProjectFailure(
  deps: Pick<DailyDependencies, 'events' | 'projects'>,
  input: z.infer<typeof ProjectFailureInputSchema>,
): Promise<{ projectId: string; recordsProcessed: number; recordsFailed: number }> {
  const error = describeStepFunctionsError(input.error);
  const message = `${error.name}: ${error.message}`;
  // The streak first: it is idempotent per run, so a retry after a failed event write counts the run once.
  const streak =
    input.replayOf === null
      ? await extendFailureStreak(deps.projects, input.projectId, { runId: input.runId, at: input.scheduledTime, error: message })
      : undefined;
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
  await deps.projects.recordRunOutcome(input.projectId, { runId: input.runId, status: 'failed', error: message });
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
  runId: z.string().min(1),
  scheduledTime: z.iso.datetime(),
  /** How many projects List Projects listed: those without an outcome were in a child execution that failed. */
  projectCount: z.number().int().min(0),
  replayOf: ReplayOfSchema,
});

/** One project's part in a run's summary. */
interface ProjectSummary {
  readonly projectId: string;
  readonly recordsProcessed: number;
  readonly recordsFailed: number;
  /** Absent for a project that failed. */
  readonly healthScore?: number;
  /** Its sync was deferred to the next run (GitHub's budget, or the run's time). */
  readonly deferred?: boolean;
  /** Why: a GitHub rate limit (which the watchdog counts as a skip of the run), or the run's time. */
  readonly deferredFor?: DeferralCause;
  /** What its sync spent of each GitHub budget. */
  readonly budgets?: Readonly<Record<string, BudgetUse>>;
}

/**
 * The run's outcomes as its projects recorded them.
 * @throws AuthError or ConfigError when a project found the token unusable: the run's failure, recorded in a child
 */
async function runOutcomes(projects: Pick<ProjectsStore, 'listRunOutcomes'>, runId: string): Promise<ProjectSummary[]> {
  const outcomes = await projects.listRunOutcomes(runId);
  const tokenError = tokenErrorOf(outcomes);
  if (tokenError) throw tokenError;
  return outcomes.map(({ projectId, outcome }): ProjectSummary => {
    if (outcome.status === 'synced') {
      return {
        projectId,
        recordsProcessed: outcome.recordsProcessed,
        recordsFailed: 0,
        healthScore: outcome.healthScore,
        deferred: outcome.deferred ?? false,
        ...(outcome.deferredFor ? { deferredFor: outcome.deferredFor } : {}),
        ...(outcome.budgets ? { budgets: outcome.budgets } : {}),
      };
    }
    if (outcome.status === 'deferred') return { projectId, recordsProcessed: 0, recordsFailed: 0, deferred: true, deferredFor: 'time' };
    return { projectId, recordsProcessed: 0, recordsFailed: 1 };
  });
}

/**
 * Reads the run's outcomes back from the projects and sums them up (summarizeSync).
 * @throws AuthError or ConfigError when a project found the token unusable; SyncFailedError as summarizeSync
 */
export async function summarizeRun(
  deps: Pick<DailyDependencies, 'projects'>,
  input: z.infer<typeof SyncSummaryInputSchema>,
  metrics?: Metrics,
): Promise<Omit<StepResult, 'attempt'>> {
  return summarizeSync({ ...input, projects: await runOutcomes(deps.projects, input.runId) }, metrics);
}

/** Failed projects (and a replay's health scores) named in a summary at most; the rest are counted. */
const NAMED_IN_SUMMARY = 5;

/** The first names of a list, then how many more. */
function namedList(names: readonly string[]): string {
  const more = names.length - NAMED_IN_SUMMARY;
  return names.slice(0, NAMED_IN_SUMMARY).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/**
 * Adds up the projects' outcomes into the run's step result, and publishes how many failed. Some failed
 * projects leave the run completed, each failure recorded; a run in which every project failed synced
 * nothing, so it fails. A replay's summary says so and gives its projects' health scores as of its own time.
 * @throws SyncFailedError when there were projects and every one failed.
 */
export function summarizeSync(
  input: {
    readonly scheduledTime: string;
    readonly projectCount: number;
    readonly replayOf: string | null;
    readonly projects: readonly ProjectSummary[];
  },
  metrics?: Metrics,
): Omit<StepResult, 'attempt'> {
  const failed = input.projects.filter((project) => project.recordsFailed > 0).map((project) => project.projectId);
  // Listed projects without an outcome: their child execution failed (the Distributed Map tolerated it) before them.
  const unaccounted = Math.max(0, input.projectCount - input.projects.length);
  const total = input.projects.length + unaccounted;
  if (metrics) publishSyncOutcome(metrics, { projectsFailed: failed.length + unaccounted });
  const failures =
    (failed.length ? `, ${failed.length} failed (${namedList(failed)})` : '') +
    (unaccounted ? `, ${unaccounted} not synced (their child execution failed)` : '');
  const deferred = input.projects.filter((project) => project.deferred).length;
  const budgets = describeBudgetUses(addBudgetUses(...input.projects.map((project) => project.budgets)));
  let summary =
    `${total - failed.length - unaccounted - deferred} of ${total} project(s) synced` +
    (deferred ? `, ${deferred} deferred to the next run (see SyncEvents)` : '') +
    failures +
    (budgets.length ? `; GitHub budgets: ${budgets.join('; ')}` : '');
  if (input.replayOf !== null) {
    const scores = input.projects.flatMap(({ projectId, healthScore }) =>
      healthScore === undefined ? [] : [`${projectId} ${healthScore}`],
    );
    const note = dailyReplayNote(new Date(input.scheduledTime), input.replayOf);
    summary = `${note}; health of ${total} project(s) as of then: ${namedList(scores) || 'none'}${failures}`;
  }
  if (total > 0 && failed.length + unaccounted === total) {
    throw new SyncFailedError(`${summary}; each project's error is in SyncEvents`);
  }
  return {
    recordsProcessed: input.projects.reduce((sum, project) => sum + project.recordsProcessed, 0),
    recordsFailed: failed.length + unaccounted,
    summary,
    rateLimitDeferrals: input.projects.filter((project) => project.deferredFor === 'rate-limit').length,
  };
}
