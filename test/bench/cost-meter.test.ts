import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { indexWriteUnits } from './cost-meter.ts';

type Item = Record<string, AttributeValue>;
const TABLE_KEYS = ['projectId', 'number'];
/** A sparse index projecting every attribute, as the open-bugs index does. */
const openBugs = { name: 'openBugs', keys: ['openBugProject', 'createdAt'] };
/** The same keys, projecting only the title. */
const titles = { ...openBugs, projected: ['title'] };

const item = (fields: Record<string, string>): Item => ({
  projectId: { S: 'acme/web' },
  number: { N: '7' },
  ...Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, { S: value }])),
});
const openBug = (fields: Record<string, string> = {}) =>
  item({ openBugProject: 'acme/web', createdAt: '2026-11-01T00:00:00Z', title: 'Crash', ...fields });

describe('index write units, by DynamoDB rules', () => {
  it('charges nothing for an item a sparse index does not hold, before or after', () => {
    expect(indexWriteUnits(undefined, item({ title: 'a pull request' }), openBugs, TABLE_KEYS)).toBe(0);
    expect(indexWriteUnits(item({ title: 'a' }), item({ title: 'b' }), openBugs, TABLE_KEYS)).toBe(0);
  });

  it('charges one write when an item enters or leaves the index', () => {
    expect(indexWriteUnits(undefined, openBug(), openBugs, TABLE_KEYS)).toBe(1);
    expect(indexWriteUnits(openBug(), item({ title: 'Crash', closedAt: '2026-11-02T00:00:00Z' }), openBugs, TABLE_KEYS)).toBe(1);
  });

  it('charges two writes when the index key changes (a delete and a put)', () => {
    expect(indexWriteUnits(openBug(), openBug({ createdAt: '2026-11-03T00:00:00Z' }), openBugs, TABLE_KEYS)).toBe(2);
  });

  it('charges one write when a projected attribute changes, none when only an unprojected one does or nothing does', () => {
    expect(indexWriteUnits(openBug(), openBug({ title: 'Crash on start' }), titles, TABLE_KEYS)).toBe(1);
    expect(indexWriteUnits(openBug(), openBug({ assignee: 'dev' }), titles, TABLE_KEYS)).toBe(0);
    expect(indexWriteUnits(openBug({ assignee: 'dev' }), openBug({ assignee: 'dev' }), openBugs, TABLE_KEYS)).toBe(0);
  });

  it('charges the entry by its size, 1 KB a unit', () => {
    expect(indexWriteUnits(undefined, openBug({ body: 'x'.repeat(2_500) }), openBugs, TABLE_KEYS)).toBe(3);
    expect(indexWriteUnits(undefined, openBug({ body: 'x'.repeat(2_500) }), titles, TABLE_KEYS)).toBe(1);
  });
});
