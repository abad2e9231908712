/** A project: one GitHub repository the jobs follow. Pure; no SDK imports. */
import * as z from 'zod';
import { InvalidDataError } from '../errors.ts';
import { SEVERITIES, type Severity } from './bugs.ts';

/** Where a project's incremental sync stands. */
export interface SyncState {
  /** Items updated at or after this time are still to be fetched (GitHub's `since`). */
  readonly cursor?: string;
  /** Page within the cursor's window; above 1 only when more than a page of items share one update time. */
  readonly page: number;
  /** ETag of the last answer for (cursor, page 1): an unchanged repository answers 304, for free. */
  readonly etag?: string;
  readonly lastSyncedAt?: string;
}

export interface Project {
  /** Lower-case `owner/repo`: GitHub names are case-insensitive. */
  readonly projectId: string;
  /** The repository's current `owner/name`: a rename on GitHub renames it here, the id stays. */
  readonly fullName: string;
  /**
   * GitHub's numeric repository id, which a rename or transfer keeps: org discovery knows a renamed
   * repository by it. Learned from the org listing, a rename's redirect, or asked once for a project added
   * by hand; absent until then.
   */
  readonly repositoryId?: number;
  readonly displayName: string;
  readonly active: boolean;
  /** Daily revenue impact of a bug without a revenue label, by severity. */
  readonly revenueDefaults: Readonly<Record<Severity, number>>;
  readonly slaHours?: Partial<Readonly<Record<Severity, number>>>;
  readonly createdAt: string;
  readonly sync: SyncState;
  /** Set while the project's sync fails run after run; cleared once a sync finishes (one a rate limit defers does not). */
  readonly failure?: SyncFailure;
}

/** A project's unbroken streak of daily runs in which its sync failed. */
export interface SyncFailure {
  /** Scheduled time of the first failed run of the streak. */
  readonly since: string;
  readonly consecutiveRuns: number;
  /** `ErrorName: message` of the latest failure. */
  readonly lastError: string;
  /** The latest failed run: a retried or redriven recording of the same run counts once. */
  readonly lastRunId: string;
}

export const DEFAULT_REVENUE_IMPACT: Readonly<Record<Severity, number>> = { critical: 1000, high: 250, medium: 50, low: 10 };

const REPOSITORY_PATTERN = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

/** Input for adding a project (CLI options or an import file entry). */
export const ProjectInputSchema = z
  .object({
    repository: z
      .string()
      .regex(REPOSITORY_PATTERN, { error: (issue) => `${JSON.stringify(issue.input)} is not a GitHub repository (owner/repo)` }),
    displayName: z.string().min(1).optional(),
    revenueDefaults: z.partialRecord(z.enum(SEVERITIES), z.number().min(0)).optional(),
    slaHours: z.partialRecord(z.enum(SEVERITIES), z.number().positive()).optional(),
  })
  .strict();
export type ProjectInput = z.infer<typeof ProjectInputSchema>;

/** The id of a repository's project. */
export function projectIdOf(fullName: string): string {
  return fullName.toLowerCase();
}

/** A new, active project that has never been synced. */
export function newProject(input: ProjectInput, now: Date): Project {
  return {
    projectId: projectIdOf(input.repository),
    fullName: input.repository,
    displayName: input.displayName ?? input.repository.split('/')[1]!,
    active: true,
    revenueDefaults: { ...DEFAULT_REVENUE_IMPACT, ...input.revenueDefaults },
    ...(input.slaHours ? { slaHours: input.slaHours } : {}),
    createdAt: now.toISOString(),
    sync: { page: 1 },
  };
}

/**
 * Validates an import file's content: an array of project inputs. Every bad entry is reported with its
 * index and field, and nothing is imported unless all are valid.
 * @throws InvalidDataError listing each problem.
 */
export function parseProjectImport(content: unknown): ProjectInput[] {
  const result = z.array(ProjectInputSchema).safeParse(content);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length ? `[${issue.path.join('].')}` : '(file)'}: ${issue.message}`);
  throw new InvalidDataError(`invalid project list:\n  - ${problems.join('\n  - ')}`);
}

/** Longest error kept on a project: enough to act on, small beside the item's 400 KB limit. */
const MAX_ERROR_LENGTH = 300;

/**
 * The project's failure streak after its sync failed in run `runId` (scheduled at `at`). Recording the
 * same run again changes nothing, so a retried step never counts a run twice.
 */
export function failureAfter(
  previous: SyncFailure | undefined,
  failed: { readonly runId: string; readonly at: string; readonly error: string },
): SyncFailure {
  if (previous?.lastRunId === failed.runId) return previous;
  return {
    since: previous?.since ?? failed.at,
    consecutiveRuns: (previous?.consecutiveRuns ?? 0) + 1,
    lastError: failed.error.slice(0, MAX_ERROR_LENGTH),
    lastRunId: failed.runId,
  };
}
