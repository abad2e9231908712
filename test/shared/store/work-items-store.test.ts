import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkItem } from '../../../shared/domain/work-item.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';
import { withWriteMeanwhile } from './write-meanwhile.ts';

// The stack's tables, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const items = runtime.stores.items;

const bug = (number: number, updatedAt: string, state: 'open' | 'closed'): WorkItem => ({
  projectId: 'acme/api',
  number,
  kind: 'bug',
  title: `Bug ${number}`,
  state,
  htmlUrl: `https://github.com/acme/api/issues/${number}`,
  author: 'octocat',
  assignees: [],
  labels: ['bug'],
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt,
  ...(state === 'closed' ? { closedAt: updatedAt } : {}),
  severity: 'high',
  revenueImpact: 1000,
});

describe('WorkItemsStore.upsert', () => {
  it("keeps a newer version another writer stored between the upsert's read and its write of a changed item", async () => {
    await items.upsert([bug(1, '2026-11-28T01:00:00Z', 'open')]);
    const newer = bug(1, '2026-11-28T03:00:00Z', 'closed');

    const written = await withWriteMeanwhile(
      () => items.upsert([newer]),
      () => items.upsert([bug(1, '2026-11-28T02:00:00Z', 'open')]),
    );

    expect(written).toBe(0);
    expect(await items.listForProject('acme/api')).toEqual([newer]);
  });

  it.each([
    ['the older writer reads first', '2026-11-28T02:00:00Z', '2026-11-28T03:00:00Z'],
    ['the newer writer reads first', '2026-11-28T03:00:00Z', '2026-11-28T02:00:00Z'],
  ])('stores the newer version of an item neither writer found stored, whichever writes first (%s)', async (_, reading, meanwhile) => {
    const newer = '2026-11-28T03:00:00Z';

    const written = await withWriteMeanwhile(
      () => items.upsert([bug(1, meanwhile, 'open')]),
      () => items.upsert([bug(1, reading, 'open')]),
    );

    expect(written).toBe(reading === newer ? 1 : 0);
    expect(await items.listForProject('acme/api')).toEqual([bug(1, newer, 'open')]);
  });

  it("as a project's first sync (the sole writer) batch-writes new items, and still writes changed ones only when newer", async () => {
    await items.upsert([bug(1, '2026-11-28T02:00:00Z', 'open')]);

    const written = await items.upsert([bug(1, '2026-11-28T01:00:00Z', 'closed'), bug(2, '2026-11-28T01:00:00Z', 'open')], {
      soleWriter: true,
    });

    expect(written).toBe(1);
    expect((await items.listForProject('acme/api')).map((item) => [item.number, item.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
    ]);
  });

  it('writes new and changed items, and counts neither an unchanged one nor an older one', async () => {
    await items.upsert([bug(1, '2026-11-28T01:00:00Z', 'open'), bug(2, '2026-11-28T01:00:00Z', 'open')]);

    const written = await items.upsert([
      bug(1, '2026-11-28T01:00:00Z', 'open'),
      bug(2, '2026-11-28T00:30:00Z', 'closed'),
      bug(3, '2026-11-28T01:00:00Z', 'open'),
      bug(4, '2026-11-28T01:00:00Z', 'closed'),
    ]);

    expect(written).toBe(2);
    expect((await items.listForProject('acme/api')).map((item) => [item.number, item.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
      [3, 'open'],
      [4, 'closed'],
    ]);
  });
});
