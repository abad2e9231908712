import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newProject } from '../../../shared/domain/project.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's tables, created in dynalite from the synthesized template (its byRepository index included).
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => runtime.reset());
const projects = runtime.stores.projects;
const created = new Date('2026-11-01T00:00:00Z');

describe('ProjectsStore.findByRepository', () => {
  it("finds a renamed repository's project by its GitHub id, under the name it was added with", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.recordRepository('acme/api', { id: 42, fullName: 'acme/platform' });

    expect(await projects.findByRepository({ id: 42, fullName: 'acme/platform' })).toMatchObject({
      projectId: 'acme/api',
      fullName: 'acme/platform',
      repositoryId: 42,
    });
    // Transferred since: the id still finds it.
    expect(await projects.findByRepository({ id: 42, fullName: 'globex/platform' })).toMatchObject({ projectId: 'acme/api' });
  });

  it('finds a project whose id is not recorded by its name, in any case', async () => {
    await projects.save(newProject({ repository: 'acme/web' }, created));

    expect(await projects.findByRepository({ id: 7, fullName: 'Acme/Web' })).toMatchObject({ projectId: 'acme/web' });
    expect(await projects.findByRepository({ id: 8, fullName: 'acme/unknown' })).toBeUndefined();
  });

  it("leaves a repository that took a renamed one's former name to no project", async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.recordRepository('acme/api', { id: 42, fullName: 'acme/platform' });

    // A new repository named acme/api (id 43): the project acme/api follows repository 42.
    expect(await projects.findByRepository({ id: 43, fullName: 'acme/api' })).toBeUndefined();
  });

  it('takes the project of the name when two projects have the id', async () => {
    await projects.save(newProject({ repository: 'acme/api' }, created));
    await projects.recordRepository('acme/api', { id: 42, fullName: 'acme/platform' });
    // Added by hand under the new name, then given the id by discovery's lookup by name.
    await projects.save(newProject({ repository: 'acme/platform' }, created));
    await projects.recordRepository('acme/platform', { id: 42, fullName: 'acme/platform' });

    expect(await projects.findByRepository({ id: 42, fullName: 'acme/platform' })).toMatchObject({ projectId: 'acme/platform' });
    expect(await projects.findByRepository({ id: 42, fullName: 'acme/api-v3' })).toMatchObject({ projectId: 'acme/api' });
  });
});
