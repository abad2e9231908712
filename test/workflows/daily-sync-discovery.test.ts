import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubServer } from '../../lib/local/github-server.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { generateIssues, startDailyRuntime } from '../support/daily.ts';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

let github: GitHubServer;
let runtime: LocalRuntime;
beforeAll(async () => {
  ({ github, runtime } = await startDailyRuntime(
    [
      { fullName: 'acme/active', id: 1, issues: generateIssues(12), pushedAt: daysAgo(3) },
      { fullName: 'acme/archived', id: 2, issues: generateIssues(5), pushedAt: daysAgo(1), archived: true },
      { fullName: 'acme/dormant', id: 3, issues: generateIssues(5), pushedAt: daysAgo(200) },
      { fullName: 'other/elsewhere', id: 4, issues: generateIssues(5), pushedAt: daysAgo(1) },
    ],
    {},
    { github: { org: 'acme', activeWithinDays: 90 } },
  ));
});
afterAll(async () => {
  await runtime?.close();
  await github?.close();
});

describe('org discovery (github.org)', () => {
  it("adds the org's repositories that are not archived and were pushed recently, and syncs them", async () => {
    const result = await runtime.runJob('daily', { retryIntervalMs: 0, waitMs: 0, at: new Date('2026-11-28T02:00:00Z') });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 12, recordsFailed: 0 });
    expect((await runtime.stores.projects.listActive()).map((project) => project.projectId)).toEqual(['acme/active']);
    expect(await runtime.stores.items.listForProject('acme/active')).toHaveLength(12);
  });
});
