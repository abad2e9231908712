/**
 * The daily run's token error, found on its projects: Sync Project records it there because it fails the run from a child
 * execution, whose error the parent cannot read (Summarize Sync and the reconciler fail or close the run with it).
 */
import { AuthError, ConfigError } from '../errors.ts';
import type { ProjectRunOutcome, ProjectsStore } from '../store/projects-store.ts';

/** The error of the first outcome that found the token unusable (GitHub refused it, or its secret could not be read). */
export function tokenErrorOf(outcomes: readonly { readonly outcome: ProjectRunOutcome }[]): AuthError | ConfigError | undefined {
  for (const { outcome } of outcomes) {
    if (outcome.status === 'token-unusable') {
      return outcome.errorName === 'AuthError' ? new AuthError(outcome.message) : new ConfigError(outcome.message);
    }
  }
  return undefined;
}

/** The token error a project recorded in run `runId`, if any. */
export async function runTokenError(
  projects: Pick<ProjectsStore, 'listRunOutcomes'>,
  runId: string,
): Promise<AuthError | ConfigError | undefined> {
  return tokenErrorOf(await projects.listRunOutcomes(runId));
}
