import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { removeProject } from '../../../lib/cli/projects.ts';
import type { AlertState } from '../../../shared/domain/alerts.ts';
import { newProject } from '../../../shared/domain/project.ts';
import type { WorkItem } from '../../../shared/domain/work-item.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const stores = runtime.stores;
const now = new Date('2026-12-01T10:00:00Z');

const item = (projectId: string, number: number): WorkItem => ({
  projectId,
  number,
  kind: 'bug',
  title: `Bug ${number}`,
  state: 'open',
  htmlUrl: `https://github.com/${projectId}/issues/${number}`,
  author: 'octocat',
  assignees: [],
  labels: ['bug', 'critical'],
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-02T00:00:00Z',
  severity: 'critical',
  revenueImpact: 1000,
});

const alertState = (projectId: string, number: number, status: AlertState['status']): AlertState => ({
  alertId: `unassigned_critical#${projectId}#${number}`,
  rule: 'unassigned_critical',
  projectId,
  number,
  title: `Bug ${number}`,
  severity: 'critical',
  value: 1000,
  level: 3,
  openedAt: '2026-11-01T00:00:00Z',
  status,
  firstSeenAt: '2026-11-01T01:00:00Z',
  lastNotifiedAt: '2026-11-01T01:00:00Z',
  notifiedLevel: 3,
  ...(status === 'open' ? {} : { resolvedAt: '2026-11-01T05:00:00Z' }),
});

/** A project with 3 work items, 2 daily, 4 hourly and 1 weekly snapshots, and alert states: 2 open, 1 closed. */
async function seed(repository: string): Promise<void> {
  const projectId = repository.toLowerCase();
  await stores.projects.save(newProject({ repository }, new Date('2026-11-01T00:00:00Z')));
  await stores.projects.saveSyncState(projectId, { page: 1, cursor: '2026-11-30T02:00:00Z', lastSyncedAt: '2026-11-30T02:05:00Z' });
  await stores.items.upsert([1, 2, 3].map((number) => item(projectId, number)));
  // The snapshots' contents do not matter here, only that they are the project's, of each kind.
  const snapshotKeys = ['daily#2026-11-29', 'daily#2026-11-30', 'status#2026-11-30', 'hourly#2026-11-30T07:00:00.000Z'];
  for (const snapshotKey of [
    ...snapshotKeys,
    'hourly#2026-11-30T08:00:00.000Z',
    'hourly#2026-11-30T09:00:00.000Z',
    'hourly#2026-11-30T10:00:00.000Z',
  ]) {
    await documentClient.send(new PutCommand({ TableName: stores.snapshots.tableName, Item: { projectId, snapshotKey } }));
  }
  await stores.alerts.saveStates([alertState(projectId, 1, 'open'), alertState(projectId, 2, 'open'), alertState(projectId, 3, 'closed')]);
}

/** Every item of a table, as key strings, sorted. */
async function keysOf(tableName: string, keyOf: (item: Record<string, unknown>) => string): Promise<string[]> {
  const output = await documentClient.send(new ScanCommand({ TableName: tableName }));
  return (output.Items ?? []).map(keyOf).sort();
}

const everything = async () => ({
  items: await keysOf(stores.items.tableName, (stored) => `${stored.projectId}#${stored.number}`),
  snapshots: await keysOf(stores.snapshots.tableName, (stored) => `${stored.projectId}|${stored.snapshotKey}`),
  alerts: await keysOf(stores.alerts.tableName, (stored) => String(stored.alertKey)),
});

describe('removeProject', () => {
  it('stops syncing the project, keeps its data and says what it kept; projects add follows it again, discovery does not', async () => {
    await seed('acme/api');
    const before = await everything();

    const result = await removeProject(stores, 'acme/api', { purge: false, now });

    expect(result).toEqual({
      existed: true,
      lines: [
        'removed acme/api: no longer synced (`projects add acme/api` follows it again)',
        'kept: 3 work items, 2 daily snapshots, 1 weekly statuses, 3 alert states (`projects remove acme/api --purge` deletes them)',
      ],
    });
    expect(await everything()).toEqual(before);
    expect(await stores.projects.listActive()).toEqual([]);
    expect((await stores.projects.get('acme/api'))?.active).toBe(false);
    // Org discovery adds only repositories without an item: the removed one stays removed.
    expect(await stores.projects.add(newProject({ repository: 'acme/api' }, now))).toBe(false);
    expect(await stores.projects.listActive()).toEqual([]);
    // `projects add` saves it: active again, its sync resuming where it stopped.
    await stores.projects.save(newProject({ repository: 'acme/api' }, now));
    expect((await stores.projects.listActive()).map((project) => [project.projectId, project.sync.cursor])).toEqual([
      ['acme/api', '2026-11-30T02:00:00Z'],
    ]);
  });

  it('says there is no such project, and creates none', async () => {
    const result = await removeProject(stores, 'acme/nothing', { purge: false, now });

    expect(result).toEqual({ existed: false, lines: ['no project acme/nothing'] });
    expect(await stores.projects.get('acme/nothing')).toBeUndefined();
  });

  it("purges exactly the project's items, snapshots and alert states, nothing of another project's", async () => {
    await seed('acme/api');
    await seed('acme/web');
    const before = await everything();
    const isWeb = (key: string) => key.startsWith('acme/web') || key.includes('#acme/web#');

    const result = await removeProject(stores, 'acme/api', { purge: true, now });

    expect(result.existed).toBe(true);
    expect(result.lines.slice(0, 2)).toEqual([
      'removed acme/api: no longer synced (`projects add acme/api` follows it again, from scratch)',
      'deleted: 3 work items, 2 daily snapshots, 4 hourly snapshots, 1 weekly statuses, 3 alert states',
    ]);
    const after = await everything();
    expect(after.items).toEqual(before.items.filter(isWeb));
    expect(after.snapshots).toEqual(before.snapshots.filter(isWeb));
    // The other project's alert states, and the purge's notification in the outbox, pending.
    expect(after.alerts).toEqual(
      [...before.alerts.filter(isWeb), `notification#projects_purge#${now.toISOString()}#acme/api#bugs`, 'outbox#pending'].sort(),
    );
    // Still known (so discovery does not re-add it), inactive, its sync to start over.
    expect(await stores.projects.get('acme/api')).toMatchObject({ active: false, sync: { page: 1 } });
    expect((await stores.projects.get('acme/api'))?.sync).not.toHaveProperty('cursor');
    expect((await stores.projects.listActive()).map((project) => project.projectId)).toEqual(['acme/web']);
  });

  it('resolves the open alerts of a purged project with one notice in the alert outbox', async () => {
    await seed('acme/api');

    const result = await removeProject(stores, 'acme/api', { purge: true, now });

    expect(result.lines[2]).toBe('resolved 2 open alerts: one notice queued in the alert outbox, sent by the next hourly run');
    const outbox = await keysOf(stores.alerts.tableName, (stored) => String(stored.alertKey));
    expect(outbox).toEqual([`notification#projects_purge#${now.toISOString()}#acme/api#bugs`, 'outbox#pending']);
    // No run looks it up by the purge's run id: it is listed for the next hourly run's Send Alerts.
    expect((await stores.alerts.listPending()).map(({ runId, source }) => [runId, source])).toEqual([
      [`projects_purge#${now.toISOString()}#acme/api`, 'bugs'],
    ]);
    const notification = await stores.alerts.getNotification(`projects_purge#${now.toISOString()}#acme/api`, 'bugs');
    expect(notification?.deliveries).toEqual({});
    expect(notification?.digest.counts).toEqual({ fired: 0, worse: 0, reminder: 0, resolved: 2 });
    expect(notification?.digest.notices.map(({ kind, alert }) => [kind, alert.alertId, alert.resolvedAt])).toEqual([
      ['resolved', 'unassigned_critical#acme/api#1', now.toISOString()],
      ['resolved', 'unassigned_critical#acme/api#2', now.toISOString()],
    ]);
  });

  it('purges twice harmlessly: the second deletes nothing and queues no notice', async () => {
    await seed('acme/api');
    await removeProject(stores, 'acme/api', { purge: true, now });
    const afterFirst = await everything();

    const second = await removeProject(stores, 'acme/api', { purge: true, now: new Date('2026-12-01T11:00:00Z') });

    expect(second).toEqual({
      existed: true,
      lines: [
        'removed acme/api: no longer synced (`projects add acme/api` follows it again, from scratch)',
        'deleted: 0 work items, 0 daily snapshots, 0 hourly snapshots, 0 weekly statuses, 0 alert states',
      ],
    });
    expect(await everything()).toEqual(afterFirst);
  });
});
