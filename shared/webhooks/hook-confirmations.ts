/**
 * A healthy webhook confirms its quiet repositories. GitHub sends nothing for a repository nobody touches, so a quiet
 * project would be confirmed only by its daily sync; but a hook whose recent deliveries hold no failed event left
 * outstanding has delivered everything GitHub generated for the repositories it covers, so their projects are
 * confirmed as of the listing. A repository's hook covers that repository's project, an organization's the projects
 * the organization owns, the GitHub App's every active project (its installations are the ones syncing them). An event
 * still failed holds back only its repository's project, so one lost delivery does not leave a whole organization's
 * quiet projects unconfirmed (and paging as stale) for the 3 days it stays listed.
 */
import { forEachConcurrently } from '../concurrency.ts';
import type { WebhookHook } from '../config.ts';
import type { Project } from '../domain/project.ts';

/** The projects a hook may confirm, and where the confirmation is recorded (ProjectsStore). */
type ConfirmableProject = Pick<Project, 'projectId' | 'fullName' | 'repositoryId'>;

export interface ConfirmableProjects {
  listActive(): Promise<readonly ConfirmableProject[]>;
  /** Never moves a project's confirmation back. */
  recordWebhookConfirmation(projectId: string, receivedAt: string): Promise<boolean>;
}

/** Confirmations written at once. */
const CONFIRMATION_CONCURRENCY = 16;

/**
 * The repositories (GitHub ids) of a hook's events with no successful attempt, whose projects it does not confirm;
 * `all` when one of them names no repository. A project whose id is not recorded yet is held back by any.
 */
export type HeldBack = ReadonlySet<number> | 'all';

export interface HookConfirmations {
  /**
   * Confirms, as of `asOf`, the active projects the hook covers but those `heldBack`.
   * @returns how many projects it confirmed that no earlier hook of the run had.
   */
  confirm(hook: WebhookHook, asOf: Date, heldBack: HeldBack): Promise<number>;
}

/**
 * The confirmations of one run: the active projects are listed once, when the first hook confirms; a project two
 * hooks cover (its repository's and its organization's) is written once.
 */
export function hookConfirmations(projects: ConfirmableProjects): HookConfirmations {
  let active: Promise<readonly ConfirmableProject[]> | undefined;
  const confirmed = new Set<string>();
  return {
    async confirm(hook, asOf, heldBack) {
      if (heldBack === 'all') return 0;
      active ??= projects.listActive();
      const covered = projectsCoveredBy(hook, await active).filter(
        ({ projectId, repositoryId }) =>
          !confirmed.has(projectId) && (repositoryId === undefined ? heldBack.size === 0 : !heldBack.has(repositoryId)),
      );
      // The app's hook covers every active project: written 16 at a time, 10,000 fit the step's time.
      await forEachConcurrently(covered, CONFIRMATION_CONCURRENCY, async ({ projectId }) => {
        await projects.recordWebhookConfirmation(projectId, asOf.toISOString());
        confirmed.add(projectId);
      });
      return covered.length;
    },
  };
}

/**
 * The projects a hook covers. A repository's hook is configured by name only (its id is the hook's, not the
 * repository's), so its project is the one of that projectId or current name, in any case; an organization's covers
 * the projects whose repository it owns now (a transferred one moves to its new owner's hook).
 */
export function projectsCoveredBy<P extends Pick<Project, 'projectId' | 'fullName'>>(hook: WebhookHook, projects: readonly P[]): P[] {
  if ('app' in hook) return [...projects];
  if ('repository' in hook) {
    const name = hook.repository.toLowerCase();
    return projects.filter((project) => project.projectId === name || project.fullName.toLowerCase() === name);
  }
  const org = hook.org.toLowerCase();
  return projects.filter((project) => project.fullName.split('/')[0]!.toLowerCase() === org);
}
