import { describe, expect, it } from 'vitest';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const recent = (fullName: string, id: number) => ({ fullName, id, issues: generateIssues(3), pushedAt: daysAgo(1) });

// A page of dormant repositories first: the projects' repositories are on the listing's second page.
const dormant = Array.from({ length: 100 }, (_, i) => ({
  fullName: `acme/dormant-${i}`,
  id: 1000 + i,
  issues: [],
  pushedAt: daysAgo(400),
}));
// Each test archives, deletes or moves repositories of its own: the loopback GitHub is shared by the file's tests.
const { github, runtime } = await useDailyRuntime(
  [
    ...dormant,
    recent('acme/live', 1),
    recent('acme/shelved', 10),
    recent('acme/doomed', 11),
    recent('acme/leaving', 12),
    recent('acme/brittle-1', 13),
    recent('acme/frail-1', 14),
    recent('acme/brittle-2', 15),
    recent('acme/frail-2', 16),
    { ...recent('other/kept', 20), archived: true },
  ],
  {},
  { github: { org: 'acme', activeWithinDays: 90 } },
);

/** Whether each project is active, by id. */
const activeByProject = async (...projectIds: string[]) =>
  Object.fromEntries(
    await Promise.all(projectIds.map(async (projectId) => [projectId, (await runtime.stores.projects.get(projectId))?.active])),
  );
/** The run's org discovery events. */
const discoveryEvents = async (runId: string) =>
  (await runtime.stores.events.listForRun(runId))
    .filter((event) => event.eventType === 'discovery')
    .map(({ level, project, message }) => ({ level, project, message }));
/** Requests for a repository's issues, by repository. */
const synced = (fullName: string) => github.requests.some((request) => request.path.startsWith(`/repos/${fullName}/issues`));

describe('org discovery deactivation (github.org)', () => {
  it('deactivates a project whose repository the org listing shows archived, keeps its items, and says so once', async () => {
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.archive('acme/shelved');
    github.clearRequests();

    const archived = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(archived.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(await activeByProject('acme/shelved', 'acme/live')).toEqual({ 'acme/shelved': false, 'acme/live': true });
    expect(await discoveryEvents(archived.run!.runId)).toEqual([
      {
        level: 'warn',
        project: 'acme/shelved',
        message: 'acme/shelved deactivated: GitHub lists acme/shelved as archived; its stored items are kept',
      },
    ]);
    expect(synced('acme/shelved')).toBe(false);
    expect(await runtime.stores.items.listForProject('acme/shelved')).toHaveLength(3);

    const next = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    expect(await discoveryEvents(next.run!.runId)).toEqual([]);
    expect(await activeByProject('acme/shelved')).toEqual({ 'acme/shelved': false });
  });

  it('deactivates a project of the org whose repository was deleted: the listing leaves it out and GitHub answers 404', async () => {
    // Added by hand, with no id yet: asked for by name.
    await addProjects(runtime, 'acme/vanished');
    const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(await activeByProject('acme/vanished', 'acme/doomed')).toEqual({ 'acme/vanished': false, 'acme/doomed': true });
    expect(await discoveryEvents(first.run!.runId)).toEqual([
      {
        level: 'warn',
        project: 'acme/vanished',
        message: 'acme/vanished deactivated: GitHub answers 404 for acme/vanished: deleted; its stored items are kept',
      },
    ]);

    github.delete('acme/doomed');
    github.clearRequests();
    const deleted = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(deleted.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(await activeByProject('acme/doomed', 'acme/live')).toEqual({ 'acme/doomed': false, 'acme/live': true });
    expect(await discoveryEvents(deleted.run!.runId)).toEqual([
      {
        level: 'warn',
        project: 'acme/doomed',
        message: 'acme/doomed deactivated: GitHub answers 404 for repository id 11: deleted; its stored items are kept',
      },
    ]);
    // Asked for by its id, which a rename or a transfer keeps.
    expect(github.requests.filter((request) => request.path === '/repositories/11').map((request) => request.status)).toEqual([404]);
  });

  it('keeps following a repository transferred out of the org, under its new name, asked for once', async () => {
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.rename('acme/leaving', 'globex/leaving');
    github.clearRequests();

    const transferred = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(transferred.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(await runtime.stores.projects.get('acme/leaving')).toMatchObject({
      active: true,
      fullName: 'globex/leaving',
      repositoryId: 12,
    });
    expect(await discoveryEvents(transferred.run!.runId)).toEqual([]);
    expect(synced('globex/leaving')).toBe(true);

    github.clearRequests();
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    // No longer the org's: not asked for again.
    expect(github.requests.some((request) => request.path === '/repositories/12')).toBe(false);
    expect(await activeByProject('acme/leaving')).toEqual({ 'acme/leaving': true });
  });

  it("never deactivates another owner's project, archived or gone", async () => {
    await addProjects(runtime, 'other/kept', 'other/gone');

    const result = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(await activeByProject('other/kept', 'other/gone')).toEqual({ 'other/kept': true, 'other/gone': true });
    expect(await discoveryEvents(result.run!.runId)).toEqual([]);
    // Both were asked for (the listing held repositories no project knew): GitHub's answers changed nothing but the id.
    expect(await runtime.stores.projects.get('other/kept')).toMatchObject({ repositoryId: 20 });
  });

  it.each([
    ['answers 502 every time', 1, () => github.injectFaults('/orgs/acme/repos', ...Array.from({ length: 20 }, () => ({ status: 502 })))],
    [
      'cuts its second page short, then every page',
      2,
      () => {
        github.cutBody('/orgs/acme/repos', 1);
        for (let retry = 0; retry < 20; retry++) github.cutBody('/orgs/acme/repos');
      },
    ],
  ])('deactivates nothing when the org listing %s', async (_, pair, breakListing) => {
    const [archivedId, deletedId] = [`acme/brittle-${pair}`, `acme/frail-${pair}`];
    await runtime.runJob('daily', { ...fast, at: nextSlot() });
    expect(await activeByProject(archivedId, deletedId)).toEqual({ [archivedId]: true, [deletedId]: true });
    github.archive(archivedId);
    github.delete(deletedId);
    github.clearRequests();
    breakListing();

    const failed = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(failed.run).toMatchObject({ status: 'failed' });
    expect(await activeByProject(archivedId, deletedId)).toEqual({ [archivedId]: true, [deletedId]: true });
    expect(await discoveryEvents(failed.run!.runId)).toEqual([]);
    expect(github.requests.some((request) => request.path.startsWith('/repositories/'))).toBe(false);
  });
});
