import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { DEFAULT_REVENUE_IMPACT } from '../../../shared/domain/project.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../../../shared/domain/work-item.ts';
import { createGitHubClient } from '../../../shared/github/client.ts';
import { startReplayServer, type Recording } from '../../support/replay-server.ts';

const require = createRequire(import.meta.url);
const recordings = require('@octokit/fixtures/scenarios/api.github.com/paginate-issues/normalized-fixture.json') as Recording[];

let replay: Awaited<ReturnType<typeof startReplayServer>>;
beforeAll(async () => {
  replay = await startReplayServer(recordings);
});
afterAll(async () => replay?.close());

describe("GitHub's real recorded issues pages (@octokit/fixtures paginate-issues)", () => {
  it('are followed through their Link headers by our client and parse into work items', async () => {
    const github = createGitHubClient({ baseUrl: replay.url, token: 'recorded' });
    const pages: unknown[] = [];
    for await (const page of github.paginate.iterator('GET /repos/{owner}/{repo}/issues', {
      owner: 'octokit-fixture-org',
      repo: 'paginate-issues',
      per_page: 3,
    })) {
      pages.push(page.data);
    }

    expect(pages).toHaveLength(5);
    const issues = pages.flatMap((page) => GitHubIssuePageSchema.parse(page));
    expect(issues).toHaveLength(13);
    const items = issues.map((issue) => toWorkItem('octokit-fixture-org/paginate-issues', issue, DEFAULT_BUG_RULES, DEFAULT_REVENUE_IMPACT));
    expect(new Set(items.map((item) => item.number)).size).toBe(13);
    expect(items.every((item) => item.kind === 'issue' && item.htmlUrl.startsWith('https://github.com/'))).toBe(true);
  });

  it('carry the rate-limit headers the sync reads', () => {
    for (const recording of recordings) {
      expect(recording.headers).toMatchObject({ 'x-ratelimit-remaining': expect.any(String), 'x-ratelimit-reset': expect.any(String) });
    }
  });
});
