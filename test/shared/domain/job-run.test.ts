import { describe, expect, it } from 'vitest';
import { runIdOf, totalsOf } from '../../../shared/domain/job-run.ts';

describe('runIdOf', () => {
  it('keys a scheduled run by job type and slot, and a manual run apart from any slot', () => {
    const slot = '2026-11-28T02:00:00Z';
    expect(runIdOf({ jobType: 'daily_sync', trigger: 'schedule', scheduledTime: slot })).toBe('daily_sync#2026-11-28T02:00:00Z');
    expect(runIdOf({ jobType: 'daily_sync', trigger: 'manual', scheduledTime: slot })).toBe('daily_sync#2026-11-28T02:00:00Z#manual');
  });
});

describe('totalsOf', () => {
  it('adds records and rate-limit deferrals, keeps the most attempts any step needed, and joins the summaries', () => {
    expect(
      totalsOf({
        sync: { recordsProcessed: 120, recordsFailed: 2, summary: '5 projects', attempt: 1, rateLimitDeferrals: 2 },
        cleanup: { recordsProcessed: 30, recordsFailed: 0, summary: '30 deleted', attempt: 3 },
      }),
    ).toEqual({
      recordsProcessed: 150,
      recordsFailed: 2,
      attempts: 3,
      summary: 'sync: 5 projects; cleanup: 30 deleted',
      rateLimitDeferrals: 2,
    });
  });

  it('reports one attempt and nothing processed for a run without steps', () => {
    expect(totalsOf({})).toEqual({ recordsProcessed: 0, recordsFailed: 0, attempts: 1, summary: '', rateLimitDeferrals: 0 });
  });
});
