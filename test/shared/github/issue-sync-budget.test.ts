import { describe, expect, it } from 'vitest';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { createGitHubClient } from '../../../shared/github/client.ts';
import { syncProjectChunk } from '../../../shared/github/issue-sync.ts';
import { RateBudgets } from '../../../shared/github/rate-budget.ts';
import { addProjects, GITHUB_TOKEN, generateIssues, useDailyRuntime } from '../../support/daily.ts';

// 1,000 items: ten pages of 100, more than any test's budget lets through.
const { github, runtime } = await useDailyRuntime([{ fullName: 'acme/web', id: 2, issues: generateIssues(1000) }]);

const PACING_MS = 400;
/** A clock that only moves when the sync waits for its pace, and the waits it was asked for. */
function fakeTime(start: number) {
  let now = start;
  const waits: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
  };
}

/** A chunk's settings: a 10% reserve of the loopback's 5,000 (500), a reset `resetInS` seconds away, a deadline after `deadlineInS`. */
function budgeted(options: { resetInS: number; deadlineInS: number; maxPages?: number }) {
  const now = Date.now();
  const resetAt = Math.floor(now / 1000) + options.resetInS;
  const time = fakeTime(now);
  const budgets = new RateBudgets({ reservePercent: 10, pacingIntervalMs: PACING_MS });
  return {
    resetAt,
    time,
    budgets,
    deps: { github: createGitHubClient({ baseUrl: github.url, token: GITHUB_TOKEN }), ...runtime.stores, rules: DEFAULT_BUG_RULES },
    options: {
      maxPages: options.maxPages ?? 20,
      stopAtMs: now + 600_000,
      runDeadlineMs: now + options.deadlineInS * 1000,
      budget: budgets.for('installation:123'),
      ...time,
    },
  };
}

describe('syncProjectChunk with a rate budget', () => {
  it('stops at remaining = reserve, not one below, and waits for a reset inside the run', async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options } = budgeted({ resetInS: 1800, deadlineInS: 3600 });
    github.setRateLimit(503, resetAt);

    const chunk = await syncProjectChunk(deps, 'acme/web', options);

    expect(github.rateLimitRemaining).toBe(500);
    expect(chunk).toMatchObject({ status: 'wait', resumeAt: new Date(resetAt * 1000 + 1000).toISOString() });
    expect(chunk.totals).toMatchObject({
      requests: 3,
      fetched: 300,
      budgets: { 'installation:123': { points: 3, limit: 5000, remaining: 500, resetAt: new Date(resetAt * 1000).toISOString() } },
    });
    // The budget is read first (free), then three pages take it from 503 to 500.
    expect(github.requests.map((request) => `${request.path.split('?')[0]} ${request.status}`)).toEqual([
      '/rate_limit 200',
      ...Array(3).fill('/repos/acme/web/issues 200'),
    ]);
  });

  it('sends nothing in the next chunk while the container knows the budget is at its reserve', async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options } = budgeted({ resetInS: 1800, deadlineInS: 3600 });
    github.setRateLimit(501, resetAt);
    expect(await syncProjectChunk(deps, 'acme/web', options)).toMatchObject({ status: 'wait' });
    github.clearRequests();

    const next = await syncProjectChunk(deps, 'acme/web', options);

    expect(next).toMatchObject({
      status: 'wait',
      totals: { requests: 0, budgets: { 'installation:123': { points: 0, remaining: 500 } } },
    });
    expect(github.requests).toEqual([]);
    expect(github.rateLimitRemaining).toBe(500);
  });

  it('defers to the next run when the budget resets after the run deadline', async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options } = budgeted({ resetInS: 1800, deadlineInS: 1799 });
    github.setRateLimit(502, resetAt);

    const chunk = await syncProjectChunk(deps, 'acme/web', options);

    expect(chunk).toMatchObject({ status: 'deferred', resumeAt: new Date(resetAt * 1000 + 1000).toISOString() });
    expect(github.rateLimitRemaining).toBe(500);
  });

  it('reads the budget off a 304, which costs no point, and keeps an unchanged project done', async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options } = budgeted({ resetInS: 1800, deadlineInS: 3600 });
    github.setRateLimit(4000, resetAt);
    expect(await syncProjectChunk(deps, 'acme/web', options)).toMatchObject({ status: 'done', totals: { requests: 11 } });
    // Others spent 1,000 points of the token meanwhile: the container's reading is 1,000 too high until the next answer.
    github.setRateLimit(github.rateLimitRemaining - 1000, resetAt);
    github.clearRequests();

    const unchanged = await syncProjectChunk(deps, 'acme/web', options);

    expect(github.requests.map((request) => request.status)).toEqual([304]);
    expect(unchanged).toMatchObject({
      status: 'done',
      totals: { notModified: 1, budgets: { 'installation:123': { points: 0, remaining: 2989 } } },
    });
    expect(github.rateLimitRemaining).toBe(2989);
  });

  it("adds a chunk's points to those its project spent before, and keeps the later reading", async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options } = budgeted({ resetInS: 1800, deadlineInS: 3600, maxPages: 4 });
    github.setRateLimit(5000, resetAt);
    const first = await syncProjectChunk(deps, 'acme/web', options);

    const second = await syncProjectChunk(deps, 'acme/web', { ...options, totals: first.totals });

    expect(first).toMatchObject({ status: 'more', totals: { budgets: { 'installation:123': { points: 4, remaining: 4996 } } } });
    expect(second).toMatchObject({
      status: 'more',
      totals: { requests: 8, budgets: { 'installation:123': { points: 8, remaining: 4992 } } },
    });
  });

  it('spaces its requests a pacing interval apart and holds one after its last, on a fake clock', async () => {
    await addProjects(runtime, 'acme/web');
    const { resetAt, deps, options, time } = budgeted({ resetInS: 1800, deadlineInS: 3600, maxPages: 4 });
    github.setRateLimit(5000, resetAt);
    const started = time.clock();

    await syncProjectChunk(deps, 'acme/web', options);

    // /rate_limit and four pages: a wait before each of the four, and one after the last.
    expect(github.requests).toHaveLength(5);
    expect(time.waits).toEqual(Array(5).fill(PACING_MS));
    expect(time.clock() - started).toBe(5 * PACING_MS);
  });
});
