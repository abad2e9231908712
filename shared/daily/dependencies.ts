/**
 * The daily job's dependencies, each built from the Lambda environment only when a handler asks for it:
 * a function is given only the tables and settings it uses.
 */
import type { BugRules } from '../domain/bugs.ts';
import { ENV, requireEnv, requireJson, requirePositiveInt } from '../environment.ts';
import { createGitHubClient, type GitHubClient } from '../github/client.ts';
import { githubToken } from '../github/token.ts';
import { documentClient } from '../store/dynamo-client.ts';
import { ProjectsStore } from '../store/projects-store.ts';
import { SnapshotsStore } from '../store/snapshots-store.ts';
import { WorkItemsStore } from '../store/work-items-store.ts';

export function projectsStoreFromEnvironment(): ProjectsStore {
  return new ProjectsStore(documentClient, requireEnv(ENV.projectsTable));
}

export function workItemsStoreFromEnvironment(): WorkItemsStore {
  return new WorkItemsStore(documentClient, requireEnv(ENV.workItemsTable));
}

export function snapshotsStoreFromEnvironment(): SnapshotsStore {
  return new SnapshotsStore(documentClient, requireEnv(ENV.snapshotsTable));
}

/** The bug rules the stack was configured with (validated by the configuration schema at synth). */
export function bugRulesFromEnvironment(): BugRules {
  return requireJson(ENV.bugRules) as BugRules;
}

/**
 * The GitHub client, created on first use. Its requests carry the token the secret holds: cached for five
 * minutes, read again at once when GitHub refuses it.
 */
export function gitHubFromEnvironment(): () => Promise<GitHubClient> {
  const baseUrl = requireEnv(ENV.githubApiUrl);
  const retryAfterBaseValue = process.env[ENV.githubRetryBaseMs] ? requirePositiveInt(ENV.githubRetryBaseMs) : undefined;
  let client: GitHubClient | undefined;
  return async () => {
    // Read (or found cached) up front, so an unreadable secret fails the step with its own error, not as a GitHub request's.
    await githubToken();
    return (client ??= createGitHubClient({ baseUrl, token: githubToken, retryAfterBaseValue }));
  };
}
