import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { DEFAULT_REVENUE_IMPACT } from '../../../shared/domain/project.ts';
import { GitHubIssuePageSchema, toWorkItem } from '../../../shared/domain/work-item.ts';
import { createGitHubClient } from '../../../shared/github/client.ts';
import { type Recording, startReplayServer } from '../../support/replay-server.ts';

const require = createRequire(import.meta.url);
const recordings = require('@octokit/fixtures/scenarios/api.github.com/paginate-issues/normalized-fixture.json') as Recording[];
const renameRecordings = require('@octokit/fixtures/scenarios/api.github.com/rename-repository/normalized-fixture.json') as Recording[];

let replay: Awaited<ReturnType<typeof startReplayServer>>;
let renameReplay: Awaited<ReturnType<typeof startReplayServer>>;
beforeAll(async () => {
  replay = await startReplayServer(recordings);
  renameReplay = await startReplayServer(renameRecordings);
});
afterAll(async () => {
  await replay?.close();
  await renameReplay?.close();
});

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
    const items = issues.map((issue) =>
      toWorkItem('octokit-fixture-org/paginate-issues', issue, DEFAULT_BUG_RULES, DEFAULT_REVENUE_IMPACT),
    );
    expect(new Set(items.map((item) => item.number)).size).toBe(13);
    expect(items.every((item) => item.kind === 'issue' && item.htmlUrl.startsWith('https://github.com/'))).toBe(true);
  });

  it('carry the rate-limit headers the sync reads', () => {
    for (const recording of recordings) {
      expect(recording.headers).toMatchObject({ 'x-ratelimit-remaining': expect.any(String), 'x-ratelimit-reset': expect.any(String) });
    }
  });
});

describe("GitHub's real recorded answers for a renamed repository (@octokit/fixtures rename-repository)", () => {
  it('are followed by our client from the old name to /repositories/<id>, which gives the new full_name', async () => {
    const github = createGitHubClient({ baseUrl: renameReplay.url, token: 'recorded' });

    const response = await github.request('GET /repos/{owner}/{repo}', { owner: 'octokit-fixture-org', repo: 'rename-repository' });

    // The final URL names the id only: the new name must be read from the answer (as the sync does).
    expect(response.url).toBe(`${renameReplay.url}/repositories/1000`);
    expect(response.data.full_name).toBe('octokit-fixture-org/rename-repository-newname');
  });
});
