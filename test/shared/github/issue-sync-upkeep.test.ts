import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { alertRules, bugRules } from '../../../shared/dependencies.ts';
import { type AggregateRules, buildAggregate } from '../../../shared/domain/hourly-aggregate.ts';
import { createGitHubClient } from '../../../shared/github/client.ts';
import { syncProjectChunk } from '../../../shared/github/issue-sync.ts';
import { documentClient } from '../../../shared/store/dynamo-client.ts';
import { AGGREGATE_NUMBER, type StoredAggregate } from '../../../shared/store/project-aggregates-store.ts';
import { WorkItemsStore } from '../../../shared/store/work-items-store.ts';
import { addProjects, GITHUB_TOKEN, generateIssues, useDailyRuntime } from '../../support/daily.ts';

// 250 bugs: three pages of 100.
const { github, runtime } = await useDailyRuntime([{ fullName: 'acme/web', id: 2, issues: generateIssues(250) }]);

const PROJECT = 'acme/web';
const now = Date.parse('2026-12-01T10:00:00Z');
const options = { maxPages: 5, stopAtMs: now + 240_000, runDeadlineMs: now + 400_000, clock: () => now };
const rules: AggregateRules = { ...bugRules(), ...alertRules() };
/** The sync's dependencies, its WorkItems a writer as the Sync Project function's (the aggregate rules wired). */
const deps = () => ({
  github: createGitHubClient({ baseUrl: github.url, token: GITHUB_TOKEN }),
  projects: runtime.stores.projects,
  items: new WorkItemsStore(documentClient, runtime.stores.items.tableName, { aggregateRules: rules, clock: () => new Date(now) }),
  rules: bugRules(),
});

const storedAggregate = async () =>
  (
    await documentClient.send(
      new GetCommand({ TableName: runtime.stores.items.tableName, Key: { projectId: PROJECT, number: AGGREGATE_NUMBER } }),
    )
  ).Item as StoredAggregate | undefined;

/**
 * Runs `act`, counting the project's rebuild reads (strongly consistent Queries of WorkItems), and recording the
 * aggregate's writer count as each batch of items (25 at most) is written.
 */
async function observed(act: () => Promise<unknown>) {
  const seen = { rebuildReads: 0, writersAtEachWrite: [] as number[] };
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; ConsistentRead?: boolean; RequestItems?: Record<string, unknown> };
      const table = runtime.stores.items.tableName;
      if (context.commandName === 'QueryCommand' && input.TableName === table && input.ConsistentRead) seen.rebuildReads++;
      if (context.commandName === 'BatchWriteItemCommand' && input.RequestItems?.[table]) {
        seen.writersAtEachWrite.push((await storedAggregate())?.writers ?? 0);
      }
      return next(args);
    },
    { step: 'initialize', name: 'observeUpkeep' },
  );
  try {
    await act();
    return seen;
  } finally {
    documentClient.middlewareStack.remove('observeUpkeep');
  }
}

describe('syncProjectChunk and the hourly aggregate', () => {
  it('rebuilds the aggregate once for a chunk of three pages, its write in flight from the first page to the end', async () => {
    await addProjects(runtime, PROJECT);

    const seen = await observed(async () => expect(await syncProjectChunk(deps(), PROJECT, options)).toMatchObject({ status: 'done' }));

    expect(seen.rebuildReads).toBe(1);
    // A crash between pages leaves the write counted in flight, for the hourly job to take over.
    expect(new Set(seen.writersAtEachWrite)).toEqual(new Set([1]));
    const stored = await storedAggregate();
    expect(stored).toMatchObject({ writers: 0, changes: 2 });
    const { openBugs, closures } = await runtime.stores.items.aggregates.readProject(PROJECT, new Date(now));
    expect(stored?.aggregate).toEqual(buildAggregate(PROJECT, openBugs, closures, new Date(now), rules));
    expect(stored?.aggregate?.tally.openBugs).toBe(250);
  });

  it('leaves the aggregate alone when the repository is unchanged (304)', async () => {
    await addProjects(runtime, PROJECT);
    await syncProjectChunk(deps(), PROJECT, options);
    const before = await storedAggregate();

    const seen = await observed(async () => expect(await syncProjectChunk(deps(), PROJECT, options)).toMatchObject({ status: 'done' }));

    expect(github.requests.at(-1)?.status).toBe(304);
    expect(seen.rebuildReads).toBe(0);
    expect(await storedAggregate()).toEqual(before);
  });
});
