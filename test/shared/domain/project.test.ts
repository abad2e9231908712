import { describe, expect, it } from 'vitest';
import { failureAfter } from '../../../shared/domain/project.ts';

const NOT_FOUND = 'RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)';

describe('failureAfter', () => {
  it('starts a streak at the first failed run and grows it run after run, keeping when it began', () => {
    const first = failureAfter(undefined, { runId: 'daily_sync#2026-11-26T02:00:00Z', at: '2026-11-26T02:00:00Z', error: NOT_FOUND });
    const second = failureAfter(first, {
      runId: 'daily_sync#2026-11-27T02:00:00Z',
      at: '2026-11-27T02:00:00Z',
      error: 'InvalidDataError: malformed issues page',
    });

    expect(first).toEqual({
      since: '2026-11-26T02:00:00Z',
      consecutiveRuns: 1,
      lastError: NOT_FOUND,
      lastRunId: 'daily_sync#2026-11-26T02:00:00Z',
    });
    expect(second).toEqual({
      since: '2026-11-26T02:00:00Z',
      consecutiveRuns: 2,
      lastError: 'InvalidDataError: malformed issues page',
      lastRunId: 'daily_sync#2026-11-27T02:00:00Z',
    });
  });

  it('counts a run once when its failure is recorded again (a retried or redriven step)', () => {
    const failed = { runId: 'daily_sync#2026-11-26T02:00:00Z', at: '2026-11-26T02:00:00Z', error: NOT_FOUND };
    const once = failureAfter(undefined, failed);

    expect(failureAfter(once, failed)).toBe(once);
  });

  it('keeps at most 300 characters of the error', () => {
    const failure = failureAfter(undefined, { runId: 'r', at: '2026-11-26T02:00:00Z', error: `InvalidDataError: ${'x'.repeat(1000)}` });

    expect(failure.lastError).toHaveLength(300);
  });
});
