/**
 * The consumer's work for one queued delivery: the issue or pull request becomes the item the sync would store
 * (the sync's own mapping, with the project's revenue defaults), written only when newer than the stored one, so
 * deliveries applied late, twice or out of order leave the item as GitHub last had it.
 */
import type { BugRules } from '../domain/bugs.ts';
import { type Project, projectIdOf } from '../domain/project.ts';
import { toWorkItem, type WorkItem } from '../domain/work-item.ts';
import type { QueuedDelivery } from './deliveries.ts';

/**
 * applied: the item was written; stale: the stored item is as new or newer; untracked: the repository is not an
 * active project; ignored: an action that says nothing of the item's state.
 */
export type ApplyOutcome = 'applied' | 'stale' | 'untracked' | 'ignored';

export interface ApplyDependencies {
  readonly projects: { get(projectId: string): Promise<Project | undefined> };
  readonly items: { putIfNewer(item: WorkItem): Promise<boolean> };
  readonly rules: BugRules;
}

/**
 * Actions after which the payload's issue is no longer the repository's: a deleted or transferred issue. Left to
 * the daily sync, which does not see them either (GitHub's issues list just stops returning them).
 */
const IGNORED_ACTIONS: ReadonlySet<string> = new Set(['deleted', 'transferred']);

/** Applies one delivery to WorkItems. */
export async function applyDelivery(deps: ApplyDependencies, delivery: QueuedDelivery): Promise<ApplyOutcome> {
  if (IGNORED_ACTIONS.has(delivery.action)) return 'ignored';
  // A renamed repository's project keeps its first name as id: its deliveries wait for the sync to follow the rename.
  const project = await deps.projects.get(projectIdOf(delivery.repository.fullName));
  if (!project?.active) return 'untracked';
  const item = toWorkItem(project.projectId, delivery.item, deps.rules, project.revenueDefaults);
  return (await deps.items.putIfNewer(item)) ? 'applied' : 'stale';
}
