import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { applyBatch } from '../../../shared/webhooks/apply-batch.ts';
import type { QueuedDelivery } from '../../../shared/webhooks/deliveries.ts';
import { issuePayload } from '../../support/github-issues.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables in dynalite: the consumer's real stores.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
const { projects, items } = runtime.stores;
const SYNCED_AT = '2026-11-28T02:00:00.000Z';

beforeEach(async () => {
  await runtime.reset();
  for (const repository of ['acme/api', 'acme/web', 'acme/new']) await projects.save(newProject({ repository }, new Date(SYNCED_AT)));
  // acme/new's first sync has not finished: its deliveries wait for it, and confirm nothing.
  for (const projectId of ['acme/api', 'acme/web']) await projects.saveSyncState(projectId, { page: 1, lastSyncedAt: SYNCED_AT });
});

let sequence = 0;
const message = (fullName: string, receivedAt: string, updatedAt = receivedAt) => {
  const delivery: QueuedDelivery = {
    deliveryId: `guid-${++sequence}`,
    event: 'issues',
    action: 'edited',
    receivedAt,
    repository: { id: 1, fullName },
    item: issuePayload(3, { updated_at: updatedAt }),
  };
  return { messageId: delivery.deliveryId, body: JSON.stringify(delivery) };
};
const confirmations = async () =>
  Object.fromEntries((await projects.listActive()).map((project) => [project.projectId, project.webhookConfirmedAt ?? null]));

describe('applyBatch', () => {
  it('confirms each project a delivery told about as of its newest one, applied or already as new, in one write per project', async () => {
    let writes = 0;
    let lookups = 0;
    const deps = {
      projects: {
        findByRepository: (repository: { id: number; fullName: string }) => {
          lookups++;
          return projects.findByRepository(repository);
        },
        recordWebhookConfirmation: (projectId: string, receivedAt: string) => {
          writes++;
          return projects.recordWebhookConfirmation(projectId, receivedAt);
        },
      },
      items,
      rules: DEFAULT_BUG_RULES,
    };

    const response = await applyBatch(deps, [
      message('acme/api', '2026-11-28T09:00:00.000Z'),
      message('Acme/API', '2026-11-28T09:20:00.000Z'),
      // Older than the stored issue: stale, still news of the project at 09:30.
      message('acme/api', '2026-11-28T09:30:00.000Z', '2026-11-28T09:00:00.000Z'),
      message('acme/api', '2026-11-28T09:10:00.000Z'),
      message('acme/new', '2026-11-28T09:00:00.000Z'),
      message('acme/unknown', '2026-11-28T09:00:00.000Z'),
      { messageId: 'broken', body: '{' },
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] });
    expect(writes).toBe(1);
    // One per repository and name (acme/api in any case, acme/new, acme/unknown), not per delivery.
    expect(lookups).toBe(3);
    expect(await confirmations()).toEqual({ 'acme/api': '2026-11-28T09:30:00.000Z', 'acme/new': null, 'acme/web': null });
  });

  it('applies the batch even when the confirmation cannot be written: failing it would only apply its deliveries again', async () => {
    const deps = {
      projects: {
        findByRepository: (repository: { id: number; fullName: string }) => projects.findByRepository(repository),
        recordWebhookConfirmation: () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })),
      },
      items,
      rules: DEFAULT_BUG_RULES,
    };

    expect(await applyBatch(deps, [message('acme/web', '2026-11-28T09:00:00.000Z')])).toEqual({ batchItemFailures: [] });
    expect((await items.listForProject('acme/web')).map((item) => item.number)).toEqual([3]);
    expect(await confirmations()).toMatchObject({ 'acme/web': null });
  });
});
