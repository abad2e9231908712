/**
 * The consumer's SQS batch: each message applied on its own, and those that failed reported back (partial batch
 * response), so SQS retries only them and moves one that keeps failing to the dead-letter queue. A repository's
 * project is looked up once per batch, by GitHub's repository id (else by name), for all its deliveries. Each project a
 * delivery told about (applied, or already as new) is then confirmed as of its newest such delivery: one write per
 * project and batch, which the hourly job's freshness check reads.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { type Project, projectIdOf } from '../domain/project.ts';
import { logger } from '../logger.ts';
import type { ProjectsStore } from '../store/projects-store.ts';
import { type ApplyDependencies, type ApplyOutcome, applyDelivery } from './apply-delivery.ts';
import { QueuedDeliverySchema } from './deliveries.ts';

export interface BatchDependencies extends ApplyDependencies {
  readonly projects: ApplyDependencies['projects'] & Pick<ProjectsStore, 'recordWebhookConfirmation'>;
}

/** The outcomes after which the project's data is as GitHub had it when it sent the delivery. */
const CONFIRMING: ReadonlySet<ApplyOutcome> = new Set(['applied', 'stale']);

export async function applyBatch(
  deps: BatchDependencies,
  records: readonly Pick<SQSRecord, 'messageId' | 'body'>[],
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  /** The newest confirming delivery's receipt time, by project. */
  const confirmed = new Map<string, string>();
  const projects = findingOncePerRepository(deps.projects);
  for (const record of records) {
    try {
      const delivery = QueuedDeliverySchema.parse(JSON.parse(record.body));
      const outcome = await applyDelivery({ ...deps, projects }, delivery);
      logger.info('webhook delivery applied', {
        deliveryId: delivery.deliveryId,
        event: delivery.event,
        action: delivery.action,
        repository: delivery.repository.fullName,
        ...(delivery.event === 'label' ? { label: delivery.label.name } : { number: delivery.item.number }),
        outcome,
      });
      // Applied or stale: the project was found (the lookup is the one applyDelivery made).
      const projectId = CONFIRMING.has(outcome) ? (await projects.findByRepository(delivery.repository))?.projectId : undefined;
      if (projectId && delivery.receivedAt > (confirmed.get(projectId) ?? '')) confirmed.set(projectId, delivery.receivedAt);
    } catch (error) {
      logger.error('webhook delivery failed; SQS will retry it', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  await Promise.all([...confirmed].map(([projectId, receivedAt]) => recordConfirmation(deps, projectId, receivedAt)));
  return { batchItemFailures };
}

/**
 * Looks each repository's project up once (by id and name: a batch may hold a rename's deliveries under both names,
 * which may find different projects), however many of the batch's deliveries name it. A failed lookup fails them all,
 * and SQS retries them.
 */
function findingOncePerRepository(projects: ApplyDependencies['projects']): ApplyDependencies['projects'] {
  const found = new Map<string, Promise<Project | undefined>>();
  return {
    findByRepository(repository) {
      const key = `${repository.id}#${projectIdOf(repository.fullName)}`;
      const finding = found.get(key) ?? projects.findByRepository(repository);
      found.set(key, finding);
      return finding;
    },
  };
}

/**
 * A confirmation that cannot be written is logged, not thrown: the deliveries are applied, and failing the batch
 * would only apply them again. A project whose confirmations keep failing goes stale, and its alert says so.
 */
async function recordConfirmation(deps: BatchDependencies, projectId: string, receivedAt: string): Promise<void> {
  try {
    await deps.projects.recordWebhookConfirmation(projectId, receivedAt);
  } catch (error) {
    logger.error('webhook confirmation not recorded; the project may show stale', { projectId, receivedAt, error: error as Error });
  }
}
