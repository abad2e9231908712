/**
 * How fresh each project's data is: when it was last confirmed (its last finished sync, or the last webhook delivery
 * applied for it, whichever is later), how long ago that is at `now`, and the alert on a project not confirmed for
 * longer than the limit. Pure; `now` is the run's scheduled time.
 */
import type { FiringAlert } from './alerts.ts';
import type { Project } from './project.ts';

/** The default limit: a day's sync and two hours of slack without webhooks; with them, a missed delivery shows within hours. */
export const DEFAULT_STALE_AFTER_HOURS = { withoutWebhooks: 26, withWebhooks: 2 } as const;

/** What the webhook consumer records on a project (beside what the sync records in `sync.lastSyncedAt`). */
export interface WebhookConfirmation {
  /** When the endpoint received the newest delivery applied for the project (or found already applied). */
  readonly webhookConfirmedAt?: string;
}

export interface ProjectFreshness {
  readonly projectId: string;
  /** When its last sync finished; null before its first one. */
  readonly lastSyncedAt: string | null;
  readonly webhookConfirmedAt: string | null;
  /**
   * The later of the two; null before the first sync finishes, which is not judged: until then the consumer applies
   * no delivery to it, and a first sync that fails is the daily job's alert (project_sync_failing).
   */
  readonly confirmedAt: string | null;
  /** Whole seconds from `confirmedAt` to now (0 for a confirmation after now); null when never confirmed. */
  readonly lagSeconds: number | null;
}

export function freshnessOf(project: Pick<Project, 'projectId' | 'sync'> & WebhookConfirmation, now: Date): ProjectFreshness {
  const lastSyncedAt = project.sync.lastSyncedAt ?? null;
  const webhookConfirmedAt = project.webhookConfirmedAt ?? null;
  const confirmedAt =
    lastSyncedAt === null
      ? null
      : webhookConfirmedAt !== null && Date.parse(webhookConfirmedAt) > Date.parse(lastSyncedAt)
        ? webhookConfirmedAt
        : lastSyncedAt;
  const lagSeconds = confirmedAt === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(confirmedAt)) / 1000));
  return { projectId: project.projectId, lastSyncedAt, webhookConfirmedAt, confirmedAt, lagSeconds };
}

/** Stale: not confirmed for longer than the limit (at exactly the limit it is not; a second past it, it is). */
export function isStale(freshness: Pick<ProjectFreshness, 'lagSeconds'>, staleAfterHours: number): boolean {
  return freshness.lagSeconds !== null && freshness.lagSeconds > staleAfterHours * 3600;
}

/** The largest lag in seconds among the projects confirmed at least once; undefined when none was. */
export function worstLagSeconds(projects: readonly ProjectFreshness[]): number | undefined {
  const lags = projects.flatMap(({ lagSeconds }) => (lagSeconds === null ? [] : [lagSeconds]));
  return lags.length > 0 ? Math.max(...lags) : undefined;
}

/** The lag whose doublings make a stale project's alert worse: the limit, or a day when the limit is shorter. */
const ESCALATION_FLOOR_SECONDS = 24 * 3600;

/**
 * One alert per stale project. Its level rises each time the lag doubles past the limit (2x, 4x, ...), or past a day
 * when the limit is shorter (2 days, 4 days, ...: a 2-hour limit pages soon, not again every few hours), which
 * re-notifies as worse; otherwise the policy's cooldown reminds, and a confirmation resolves it.
 */
export function staleProjectAlerts(projects: readonly ProjectFreshness[], staleAfterHours: number): FiringAlert[] {
  return projects.flatMap((freshness) => {
    if (!isStale(freshness, staleAfterHours)) return [];
    const lagSeconds = freshness.lagSeconds!;
    const lagHours = Math.floor(lagSeconds / 3600);
    const webhook = freshness.webhookConfirmedAt ? `last webhook applied ${freshness.webhookConfirmedAt}` : 'no webhook applied';
    return [
      {
        alertId: `project_stale#${freshness.projectId}`,
        rule: 'project_stale' as const,
        title: `${freshness.projectId}: data not confirmed for over ${staleAfterHours} h`,
        value: lagHours,
        level: Math.max(0, Math.floor(Math.log2(lagSeconds / Math.max(staleAfterHours * 3600, ESCALATION_FLOOR_SECONDS)))),
        detail: `last confirmed ${lagHours} h ago (last sync ${freshness.lastSyncedAt}, ${webhook}); limit ${staleAfterHours} h`,
      },
    ];
  });
}
