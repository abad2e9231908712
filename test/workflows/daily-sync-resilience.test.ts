import { describe, expect, it } from 'vitest';
import { ENV } from '../../shared/environment.ts';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

// This file spends the token's primary limit to its last point: its sync keeps no reserve (the reserve's own test is in
// daily-sync-budget.test.ts), nor a pace, which only slows it here.
const { github, runtime, setsOf } = await useDailyRuntime(
  [
    { fullName: 'acme/limited', id: 1, issues: generateIssues(450) },
    { fullName: 'acme/crashy', id: 2, issues: generateIssues(520) },
    { fullName: 'acme/huge', id: 3, issues: generateIssues(20_000) },
  ],
  { [ENV.githubRateBudget]: JSON.stringify({ reservePercent: 0, pacingIntervalMs: 0 }) },
);

describe('the daily sync under rate limits, crashes and size', () => {
  it('waits in Step Functions for a primary rate-limit reset that falls inside the run, then finishes', async () => {
    await addProjects(runtime, 'acme/limited');
    const states: string[] = [];
    let spent = false;
    // Spent as the first sync starts (however long a busy machine took to get there), reset a few seconds later:
    // well inside the run's 9 minutes.
    const spendBudget = (stateName: string) => {
      if (stateName !== 'Sync Project' || spent) return;
      spent = true;
      github.setRateLimit(0, Math.floor(Date.now() / 1000) + 4);
    };

    const result = await runtime.runJob('daily', {
      retryIntervalMs: 0,
      at: nextSlot(),
      onStateEvent: (line) => states.push(line),
      beforeTask: spendBudget,
    });

    expect(states).toContain('→ Wait for Rate Limit Reset');
    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 450, recordsFailed: 0 });
    const { stored, held } = await setsOf('acme/limited');
    expect(stored).toEqual(held);
  });

  it('stops cleanly when the reset is beyond the run, and the next run completes without loss or duplicates', async () => {
    await addProjects(runtime, 'acme/limited');
    github.setRateLimit(2, Math.floor(Date.now() / 1000) + 3600);

    const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    // Two pages were allowed: 100 items, then the next window from the newest (which repeats it).
    expect(first.run).toMatchObject({ status: 'completed', recordsProcessed: 199 });
    const deferred = (await runtime.stores.events.listForRun(first.run!.runId)).find((event) => event.eventType === 'github_sync');
    expect(deferred).toMatchObject({ level: 'warn', project: 'acme/limited' });
    expect(deferred?.message).toContain('the next run resumes');

    github.setRateLimit(5000, Math.floor(Date.now() / 1000) + 3600);
    const second = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    expect(second.run).toMatchObject({ status: 'completed', recordsProcessed: 251 });
    const { stored, held } = await setsOf('acme/limited');
    expect(stored).toEqual(held);
  });

  it('resumes after a crash in the middle of a sync and ends with exactly the set GitHub has', async () => {
    await addProjects(runtime, 'acme/crashy');
    // The third request of the sync gets a broken answer: the project fails there, its progress saved.
    github.injectFaults('/repos/acme/crashy/issues', { status: 200, body: '[{"broken": true}]', afterRequests: 2 });
    const crashed = await runtime.runJob('daily', { ...fast, at: nextSlot() });
    github.clearRequests();
    // Its only project failed, so the run fails too (and pages), its progress kept.
    expect(crashed.run).toMatchObject({ status: 'failed', errorName: 'SyncFailedError' });
    expect((await runtime.stores.items.listForProject('acme/crashy')).map((item) => item.number)).toHaveLength(199);
    // Meanwhile two items change on GitHub: one already stored, one not yet.
    const repository = github.repository('acme/crashy');
    repository.issues[5] = { ...repository.issues[5]!, title: 'Renamed', updated_at: '2026-11-27T00:00:00Z' };
    repository.issues.push({ ...repository.issues[0]!, number: 521, updated_at: '2026-11-27T00:01:00Z' });

    const rerun = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(rerun.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    const { stored, held } = await setsOf('acme/crashy');
    expect(stored).toEqual(held);
    expect((await runtime.stores.items.listForProject('acme/crashy')).find((item) => item.number === 6)?.title).toBe('Renamed');
  });

  it('syncs a 20,000-issue repository in bounded chunks across task invocations', async () => {
    await addProjects(runtime, 'acme/huge');
    let chunks = 0;

    const result = await runtime.runJob('daily', {
      ...fast,
      at: nextSlot(),
      beforeTask: (state) => {
        if (state === 'Sync Project') chunks++;
      },
    });

    expect(result.run).toMatchObject({ status: 'completed', recordsProcessed: 20_000, recordsFailed: 0 });
    expect(chunks).toBeGreaterThanOrEqual(5);
    // About one request per 100 items: each window repeats its boundary item.
    expect(github.requests.filter((request) => request.path.startsWith('/repos/acme/huge/issues')).length).toBe(203);
    const { stored, held } = await setsOf('acme/huge');
    expect(stored).toEqual(held);
  }, 240_000);
});
