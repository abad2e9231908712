import { describe, expect, it } from 'vitest';
import { saveProjects } from '../../lib/cli/projects.ts';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

const { github, runtime } = await useDailyRuntime(
  [
    { fullName: 'acme/active', id: 1, issues: generateIssues(150), pushedAt: daysAgo(3) },
    { fullName: 'acme/archived', id: 2, issues: generateIssues(5), pushedAt: daysAgo(1), archived: true },
    { fullName: 'acme/dormant', id: 3, issues: generateIssues(5), pushedAt: daysAgo(200) },
    { fullName: 'other/elsewhere', id: 4, issues: generateIssues(5), pushedAt: daysAgo(1) },
    { fullName: 'acme/tools', id: 5, issues: generateIssues(4), pushedAt: daysAgo(1) },
  ],
  {},
  { github: { org: 'acme', activeWithinDays: 90 } },
);

/** Each project's id, current name and GitHub repository id. */
const projects = async () =>
  (await runtime.stores.projects.listActive()).map(({ projectId, fullName, repositoryId }) => ({ projectId, fullName, repositoryId }));
/** The requests that asked GitHub about a repository itself (`GET /repos/{owner}/{repo}`), by path. */
const repositoryLookups = () =>
  github.requests.filter((request) => /^\/repos\/[^/]+\/[^/?]+$/.test(request.path)).map((request) => request.path);

describe('org discovery (github.org)', () => {
  it("adds the org's repositories that are not archived and were pushed recently, each with its GitHub id, and syncs them", async () => {
    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 154, recordsFailed: 0 });
    expect(await projects()).toEqual([
      { projectId: 'acme/active', fullName: 'acme/active', repositoryId: 1 },
      { projectId: 'acme/tools', fullName: 'acme/tools', repositoryId: 5 },
    ]);
    expect(await runtime.stores.items.listForProject('acme/active')).toHaveLength(150);
    expect(repositoryLookups()).toEqual([]);
  });

  it('keeps one project for a repository renamed in the org: renamed, with its items and sync progress, not added again', async () => {
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    const before = await runtime.stores.projects.get('acme/active');
    github.rename('acme/active', 'acme/platform');
    github.clearRequests();
    try {
      const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect(result.run?.summary).toContain('sync: 2 of 2 project(s) synced;');
      expect(await projects()).toEqual([
        { projectId: 'acme/active', fullName: 'acme/platform', repositoryId: 1 },
        { projectId: 'acme/tools', fullName: 'acme/tools', repositoryId: 5 },
      ]);
      const renamed = await runtime.stores.projects.get('acme/active');
      expect(renamed?.sync.cursor).toBe(before?.sync.cursor);
      expect(renamed?.sync.cursor).toBeDefined();
      expect(await runtime.stores.items.listForProject('acme/active')).toHaveLength(150);
      // Renamed by discovery before the sync: the sync asked for the new name directly, never through a redirect.
      expect(github.requests.filter((request) => request.status === 301)).toEqual([]);
      expect(github.requests.some((request) => request.path.startsWith('/repos/acme/platform/issues'))).toBe(true);

      // `cto-jobs projects add acme/active --name Platform` later changes the settings only, not what GitHub told.
      await saveProjects(runtime.stores.projects, [{ repository: 'acme/active', displayName: 'Platform' }], new Date());
      expect(await runtime.stores.projects.get('acme/active')).toEqual({ ...renamed, displayName: 'Platform' });
    } finally {
      github.rename('acme/platform', 'acme/active');
    }
  });

  it('gives a project added by hand its id from the org listing, without a request', async () => {
    await addProjects(runtime, 'acme/tools');

    await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(await runtime.stores.projects.get('acme/tools')).toMatchObject({
      fullName: 'acme/tools',
      repositoryId: 5,
      createdAt: '2026-11-01T00:00:00.000Z',
    });
    expect(repositoryLookups()).toEqual([]);
  });

  it("records the id a rename's redirect names when the sync follows it, with no listing and no lookup", async () => {
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    // Outside the org: no listing names it, and with no new repository in the org nothing is looked up.
    await addProjects(runtime, 'other/elsewhere');
    github.rename('other/elsewhere', 'other/moved');
    github.clearRequests();
    try {
      const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(result.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect(await runtime.stores.projects.get('other/elsewhere')).toMatchObject({ fullName: 'other/moved', repositoryId: 4 });
      expect(repositoryLookups()).toEqual([]);
      expect(github.requests.filter((request) => request.status === 301).map((request) => request.path)).toEqual([
        expect.stringMatching(/^\/repos\/other\/elsewhere\/issues\?/),
      ]);
    } finally {
      github.rename('other/moved', 'other/elsewhere');
    }
  });

  it('looks up once the id of a hand-added project no listing names (renamed, or outside the org), never adding it twice', async () => {
    await addProjects(runtime, 'acme/tools', 'other/elsewhere');
    github.rename('acme/tools', 'acme/devtools');
    try {
      const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(first.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect(await projects()).toEqual([
        { projectId: 'acme/active', fullName: 'acme/active', repositoryId: 1 },
        { projectId: 'acme/tools', fullName: 'acme/devtools', repositoryId: 5 },
        { projectId: 'other/elsewhere', fullName: 'other/elsewhere', repositoryId: 4 },
      ]);
      expect(repositoryLookups().sort()).toEqual(['/repos/acme/tools', '/repos/other/elsewhere']);
      expect(await runtime.stores.items.listForProject('acme/tools')).toHaveLength(4);

      github.clearRequests();
      const second = await runtime.runJob('daily', { ...fast, at: nextSlot() });

      expect(second.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
      expect((await projects()).map((project) => project.projectId)).toEqual(['acme/active', 'acme/tools', 'other/elsewhere']);
      expect(repositoryLookups()).toEqual([]);
    } finally {
      github.rename('acme/devtools', 'acme/tools');
    }
  });
});
