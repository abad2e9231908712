/**
 * The consumer's work for one queued delivery. An issue or pull request becomes the item the sync would store (the
 * sync's own mapping, with the project's revenue defaults), written only when newer than the stored one, so
 * deliveries applied late, twice or out of order leave the item as GitHub last had it. A label renamed or deleted on
 * the repository is renamed or removed on the items carrying it, which are classified again (bug, severity, revenue).
 */
import type { BugRules } from '../domain/bugs.ts';
import type { Project } from '../domain/project.ts';
import { type GitHubIssue, toWorkItem, type WorkItem } from '../domain/work-item.ts';
import type { QueuedDelivery } from './deliveries.ts';

/**
 * applied: items were written; stale: the stored item is as new or newer; untracked: the repository is not an
 * active project; unsynced: the project's first sync has not finished; ignored: nothing in the delivery changes an item.
 */
export type ApplyOutcome = 'applied' | 'stale' | 'untracked' | 'unsynced' | 'ignored';

export interface ApplyDependencies {
  /** The project that follows the delivery's repository (ProjectsStore.findByRepository: by GitHub's id, else by name). */
  readonly projects: { findByRepository(repository: QueuedDelivery['repository']): Promise<Project | undefined> };
  readonly items: {
    putIfNewer(item: WorkItem): Promise<boolean>;
    /** Rewrites unchanged items as one write (one aggregate upkeep for all); @returns how many were written. */
    replaceAllIfUnchanged(items: readonly WorkItem[]): Promise<number>;
    listForProject(projectId: string): Promise<WorkItem[]>;
  };
  readonly rules: BugRules;
}

/**
 * Actions after which the payload's issue is no longer the repository's: a deleted or transferred issue. Left to
 * the daily sync, which does not see them either (GitHub's issues list just stops returning them).
 */
const IGNORED_ACTIONS: ReadonlySet<string> = new Set(['deleted', 'transferred']);

/** Applies one delivery to WorkItems. */
export async function applyDelivery(deps: ApplyDependencies, delivery: QueuedDelivery): Promise<ApplyOutcome> {
  // Found by the repository's id: a renamed or transferred repository's project keeps the name it was added with as id.
  const project = await deps.projects.findByRepository(delivery.repository);
  if (!project?.active) return 'untracked';
  // A project's first full sync writes its new items unconditionally, in batches (WorkItemsStore.upsert's `soleWriter`):
  // nothing else may write them meanwhile. What a skipped delivery changed is newer than the sync's cursor, so a sync fetches it.
  if (project.sync.lastSyncedAt === undefined) return 'unsynced';
  if (delivery.event === 'label') return applyLabelChange(deps, project, delivery);
  if (IGNORED_ACTIONS.has(delivery.action)) return 'ignored';
  const item = toWorkItem(project.projectId, delivery.item, deps.rules, project.revenueDefaults);
  return (await deps.items.putIfNewer(item)) ? 'applied' : 'stale';
}

type LabelDelivery = Extract<QueuedDelivery, { event: 'label' }>;

/**
 * Renames (`edited` with a new name) or removes (`deleted`) a label on the project's items that carry it. An item
 * GitHub changed meanwhile is left as it is: its newer version, from its own delivery or the sync, has the label as
 * it now is. Labels GitHub creates or recolours change no item.
 */
async function applyLabelChange(deps: ApplyDependencies, project: Project, delivery: LabelDelivery): Promise<ApplyOutcome> {
  const { name, previousName } = delivery.label;
  const change =
    delivery.action === 'deleted'
      ? { from: name, relabel: (labels: readonly string[]) => labels.filter((label) => label !== name) }
      : delivery.action === 'edited' && previousName && previousName !== name
        ? { from: previousName, relabel: (labels: readonly string[]) => labels.map((label) => (label === previousName ? name : label)) }
        : undefined;
  if (!change) return 'ignored';
  const carrying = (await deps.items.listForProject(project.projectId)).filter((item) => item.labels.includes(change.from));
  if (carrying.length === 0) return 'ignored';
  const relabelled = carrying.map((stored) =>
    toWorkItem(
      project.projectId,
      { ...gitHubIssueOf(stored), labels: change.relabel(stored.labels) },
      deps.rules,
      project.revenueDefaults,
    ),
  );
  return (await deps.items.replaceAllIfUnchanged(relabelled)) > 0 ? 'applied' : 'stale';
}

/** The GitHub issue a stored item was made from, as far as the item says (all that {@link toWorkItem} reads). */
function gitHubIssueOf(item: WorkItem): GitHubIssue {
  return {
    number: item.number,
    title: item.title,
    state: item.state,
    html_url: item.htmlUrl,
    user: { login: item.author },
    labels: [...item.labels],
    assignees: item.assignees.map((login) => ({ login })),
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    closed_at: item.closedAt ?? null,
    ...(item.kind === 'pull_request' ? { pull_request: { merged_at: item.mergedAt ?? null }, draft: item.draft ?? false } : {}),
  };
}
