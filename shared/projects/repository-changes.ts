/**
 * How a project follows its repository on GitHub. Org discovery (the daily run) finds each listed repository's project
 * in the projects it read, by GitHub's repository id, which a rename or a transfer keeps, else by name
 * ({@link ProjectsByRepository}); the webhook consumer (`repository` events) finds it through the store's index
 * (`ProjectsStore.findByRepository`). Both rename a renamed or transferred repository's project
 * (`ProjectsStore.recordRepository`) and deactivate an archived or deleted one's with {@link deactivateProject}: its
 * stored items kept, and a `discovery` SyncEvent at warn level says which and why.
 */
import type { Project } from '../domain/project.ts';
import type { SyncEvent } from '../domain/sync-event.ts';

/** A repository as GitHub names it now. */
export interface RepositoryRef {
  readonly id: number;
  readonly fullName: string;
}

/** The projects of some repositories, found by repository id or by name (projectId or current full name, any case). */
export class ProjectsByRepository {
  private readonly byId: Map<number, Project>;
  private readonly byName: Map<string, Project>;

  constructor(projects: readonly Project[]) {
    this.byId = new Map(
      projects.flatMap((project) => (project.repositoryId === undefined ? [] : [[project.repositoryId, project] as const])),
    );
    this.byName = new Map(
      projects.flatMap((project) => [[project.projectId, project] as const, [project.fullName.toLowerCase(), project] as const]),
    );
  }

  /**
   * The project known by the repository's id, else by its name. One found by name whose own id differs is another
   * repository's, which now has the name: the caller decides what that means.
   */
  find(repository: RepositoryRef): Project | undefined {
    return this.byId.get(repository.id) ?? this.byName.get(repository.fullName.toLowerCase());
  }

  /** Remembers that the project is the repository's (its id learned meanwhile). */
  remember(repositoryId: number, project: Project): void {
    this.byId.set(repositoryId, project);
  }

  /** Whether a project of the repository's id is known. */
  knows(repositoryId: number): boolean {
    return this.byId.has(repositoryId);
  }
}

export interface DeactivationDependencies {
  readonly projects: { deactivate(projectId: string): Promise<boolean> };
  readonly events: { append(event: SyncEvent): Promise<void> };
}

/**
 * Deactivates a project whose repository was archived or deleted, and records a `discovery` SyncEvent at warn level.
 * @param fullName the repository's name as GitHub gave it.
 * @param why what GitHub said, for the event's message.
 * @returns false when there was no such project (nothing is recorded).
 */
export async function deactivateProject(
  deps: DeactivationDependencies,
  project: Project,
  fullName: string,
  why: string,
  runId: string,
): Promise<boolean> {
  if (!(await deps.projects.deactivate(project.projectId))) return false;
  await deps.events.append({
    runId,
    timestamp: new Date().toISOString(),
    eventType: 'discovery',
    level: 'warn',
    project: fullName,
    message: `${project.projectId} deactivated: ${why}; its stored items are kept`,
  });
  return true;
}
