import { describe, expect, it } from 'vitest';
import { addProjects, fast, generateIssues, nextSlot, useDailyRuntime } from '../support/daily.ts';

const { github, runtime, setsOf } = await useDailyRuntime([{ fullName: 'acme/big', id: 1, issues: generateIssues(450) }]);

describe("the daily sync within GitHub's budget", () => {
  it('keeps the reserve for the people sharing the token, defers the rest with its reason, and the next run completes it', async () => {
    // Prepare: 503 of 5,000 left for an hour; the reserve (10%) is 500, so three requests may go.
    await addProjects(runtime, 'acme/big');
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    github.setRateLimit(503, resetAt);

    const first = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(first.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(github.rateLimitRemaining).toBe(500);
    const resumeAt = new Date(resetAt * 1000 + 1000).toISOString();
    const events = await runtime.stores.events.listForRun(first.run!.runId);
    expect(events.find((event) => event.eventType === 'github_sync')).toMatchObject({
      level: 'warn',
      project: 'acme/big',
      message: expect.stringContaining(
        `token is down to its reserve (500 of 5,000 left, 500 kept for others) until ${resumeAt}, the next run resumes`,
      ),
    });
    expect(first.run?.summary).toContain('sync: 0 of 1 project(s) synced, 1 deferred to the next run (see SyncEvents); ');
    // The deferral is the run's skip for a rate limit, which the watchdog counts.
    expect(first.run?.rateLimitDeferrals).toBe(1);
    expect(events.find((event) => event.eventType === 'job' && event.level === 'warn')?.message).toBe(
      'skipped (rate-limit): 1 project(s) deferred to the next run for a GitHub rate limit',
    );
    expect(first.run?.summary).toContain(
      `GitHub budgets: token used 3 of 5,000 (500 left until ${new Date(resetAt * 1000).toISOString()})`,
    );
    const { stored, held } = await setsOf('acme/big');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(held.length);

    // Act: a new window.
    github.setRateLimit(5000, resetAt + 3600);
    const second = await runtime.runJob('daily', { ...fast, at: nextSlot() });

    expect(second.run).toMatchObject({ status: 'completed', recordsFailed: 0 });
    expect(second.run?.summary).toContain('sync: 1 of 1 project(s) synced; ');
    expect(second.run?.rateLimitDeferrals).toBeUndefined();
    const after = await setsOf('acme/big');
    expect(after.stored).toEqual(after.held);
  });
});
