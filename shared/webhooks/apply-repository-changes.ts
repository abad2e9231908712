/**
 * The consumer's `repository` events: a change to a project's repository itself, applied to the project as org
 * discovery applies what the daily listing shows (shared/projects/repository-changes.ts). Renamed or transferred: the
 * project follows the new owner/name, its projectId kept. Archived or deleted: the project is deactivated, its items
 * kept, with a `discovery` SyncEvent at warn level. Other actions (unarchived, edited, publicized, ...) change nothing
 * here: a project deactivated by an archive stays inactive after the repository is unarchived, until `cto-jobs projects
 * add` registers it again. A repository no active project follows is left to discovery, which adds the org's active
 * repositories no project knows.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Project } from '../domain/project.ts';
import { logger } from '../logger.ts';
import { type DeactivationDependencies, deactivateProject, type RepositoryRef } from '../projects/repository-changes.ts';
import { applyBatch, type BatchDependencies } from './apply-batch.ts';
import type { ApplyOutcome } from './apply-delivery.ts';
import { type QueuedRepositoryChange, QueuedRepositoryChangeSchema } from './deliveries.ts';

export interface RepositoryChangeDependencies {
  readonly projects: DeactivationDependencies['projects'] & {
    findByRepository(repository: RepositoryRef): Promise<Project | undefined>;
    recordRepository(projectId: string, repository: RepositoryRef): Promise<boolean>;
  };
  readonly events: DeactivationDependencies['events'];
}

/** What GitHub's action says happened to the repository, for the deactivation's SyncEvent. */
const DEACTIVATING: Readonly<Record<string, string>> = { archived: 'archived', deleted: 'deleted' };
const FOLLOWED: ReadonlySet<string> = new Set(['renamed', 'transferred']);

/**
 * Applies one `repository` event to the project that follows the repository.
 * @returns applied: the project was renamed or deactivated; stale: it already was; untracked: no active project
 * follows the repository; ignored: the action changes no project.
 */
export async function applyRepositoryChange(deps: RepositoryChangeDependencies, change: QueuedRepositoryChange): Promise<ApplyOutcome> {
  const deactivation = DEACTIVATING[change.action];
  if (!deactivation && !FOLLOWED.has(change.action)) return 'ignored';
  const { repository } = change;
  // By GitHub's id, else by the name it had before this event (a project found by name but known by another id follows
  // another repository, which had this name before: none is found).
  const project = await deps.projects.findByRepository({ id: repository.id, fullName: change.previousFullName ?? repository.fullName });
  if (!project?.active) return 'untracked';
  if (deactivation) {
    const runId = `webhook#${change.receivedAt}#${change.deliveryId}`;
    const why = `GitHub's repository event says ${repository.fullName} was ${deactivation}`;
    return (await deactivateProject(deps, project, repository.fullName, why, runId)) ? 'applied' : 'stale';
  }
  if (project.repositoryId === repository.id && project.fullName === repository.fullName) return 'stale';
  return (await deps.projects.recordRepository(project.projectId, repository)) ? 'applied' : 'stale';
}

/**
 * The consumer's SQS batch: `repository` events applied here, every other delivery by {@link applyBatch}, their
 * failures reported together (partial batch response).
 */
export async function applyDeliveries(
  deps: BatchDependencies & RepositoryChangeDependencies,
  records: readonly Pick<SQSRecord, 'messageId' | 'body'>[],
): Promise<SQSBatchResponse> {
  const repositoryChanges = records.filter(isRepositoryChange);
  const others = records.filter((record) => !repositoryChanges.includes(record));
  const failures = others.length > 0 ? (await applyBatch(deps, others)).batchItemFailures : [];
  for (const record of repositoryChanges) {
    try {
      const change = QueuedRepositoryChangeSchema.parse(JSON.parse(record.body));
      const outcome = await applyRepositoryChange(deps, change);
      logger.info('webhook delivery applied', {
        deliveryId: change.deliveryId,
        event: change.event,
        action: change.action,
        repository: change.repository.fullName,
        previousFullName: change.previousFullName,
        outcome,
      });
    } catch (error) {
      logger.error('webhook delivery failed; SQS will retry it', { messageId: record.messageId, error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Whether a message is a `repository` event (one that is not JSON is left to applyBatch, which reports it failed). */
function isRepositoryChange(record: Pick<SQSRecord, 'body'>): boolean {
  try {
    return (JSON.parse(record.body) as { event?: unknown } | null)?.event === 'repository';
  } catch {
    return false;
  }
}
