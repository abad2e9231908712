import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import type { JobRun, JobType } from '../../../shared/domain/job-run.ts';
import type { SyncEvent } from '../../../shared/domain/sync-event.ts';
import { archiveRecords } from '../../../shared/weekly/archive-records.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const NOW = new Date('2026-11-30T09:00:00Z');
const MINUTE = 60_000;
const HOUR_MINUTES = 60;
const WEEK_MINUTES = 7 * 24 * 60;
const LIMITS = { keepSyncEvents: 10_000, keepJobRecords: 1_000, keepEndedRunsPerJob: 20, importLogDays: 90 };
let runtime: LocalRuntime;
beforeAll(async () => (runtime = await startTestRuntime()));
beforeEach(() => runtime.reset());
afterAll(() => runtime?.close());

const timeOf = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * MINUTE).toISOString();
const run = (index: number, status: JobRun['status'], minutesAgo: number, jobType: JobType = 'daily_sync'): JobRun => ({
  runId: `${jobType}#run-${String(index).padStart(5, '0')}`,
  jobType,
  trigger: 'schedule',
  status,
  scheduledTime: timeOf(minutesAgo),
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:daily:${index}`,
  createdAt: timeOf(minutesAgo),
  attempts: 1,
  redriveCount: 0,
  recordsProcessed: 0,
  recordsFailed: 0,
});

async function inBatches<T>(items: readonly T[], write: (item: T) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += 50) await Promise.all(items.slice(start, start + 50).map(write));
}

describe('archiveRecords, against dynalite', () => {
  it('keeps exactly the newest 10,000 sync events and 1,000 job records, drops import logs past 90 days, spares running', async () => {
    // The oldest of everything belongs to a run still running: it must survive.
    const running = run(0, 'running', 200 * 24 * 60);
    await runtime.stores.runs.recordRun(running);
    const runningEvents: SyncEvent[] = Array.from({ length: 5 }, (_, i) => ({
      runId: running.runId,
      timestamp: timeOf(200 * 24 * 60 - i),
      eventType: 'github_sync',
      level: 'info',
      message: `running chunk ${i}`,
    }));
    // 10,050 events, one a minute; the 7 oldest are import logs older than 90 days.
    const seeded: SyncEvent[] = Array.from({ length: 10_050 }, (_, i) => ({
      runId: `daily_sync#run-${String(1 + (i % 1020)).padStart(5, '0')}`,
      timestamp: i < 7 ? timeOf(91 * 24 * 60 + 10 - i) : timeOf(10_050 - i),
      eventType: i < 7 ? 'github_sync' : 'metrics',
      level: 'info',
      message: `event ${i}`,
    }));
    await inBatches([...runningEvents, ...seeded], (event) => runtime.stores.events.append(event));
    await inBatches(
      Array.from({ length: 1020 }, (_, i) => run(i + 1, 'completed', 2000 - i)),
      (record) => runtime.stores.runs.recordRun(record),
    );

    const archiveRun = { runId: 'weekly_report#2026-11-30T09:00:00Z', now: NOW };
    const outcome = await archiveRecords({ runs: runtime.stores.runs, events: runtime.stores.events, limits: LIMITS }, archiveRun);

    expect(outcome).toEqual({
      recordsProcessed: 7 + 43 + 20,
      recordsFailed: 0,
      summary:
        'removed 7 import logs older than 90 days, 43 sync events beyond the newest 10,000, ' +
        "20 job records beyond the newest 1,000 and each job's newest 20 ended runs",
    });
    const remaining = await runtime.stores.events.listRecent({ limit: 20_000 });
    const archiveEvent = remaining.filter((event) => event.runId === archiveRun.runId);
    expect(archiveEvent.map((event) => event.eventType)).toEqual(['archive']);
    const kept = remaining
      .filter((event) => event.runId !== archiveRun.runId && event.runId !== running.runId)
      .map((event) => event.message);
    expect(kept).toHaveLength(10_000);
    expect(new Set(kept)).toEqual(new Set(seeded.slice(50).map((event) => event.message)));
    expect(remaining.filter((event) => event.runId === running.runId)).toHaveLength(5);

    const runs = await runtime.stores.runs.listRecent({ limit: 5_000 });
    expect(runs).toHaveLength(1_001);
    expect(runs.map((record) => record.runId)).toContain(running.runId);
    expect(
      runs
        .filter((record) => record.status === 'completed')
        .map((record) => record.runId)
        .sort()[0],
    ).toBe('daily_sync#run-00021');
  });

  it("keeps each job's newest 20 ended runs beyond the newest 1,000: the weekly job's success rate stays judged", async () => {
    // 1,000 hourly runs, one an hour, cover 41.7 days: the newest 1,000 of all hold only 5 of the weekly job's
    // 25 ended runs. Its 20th newest ended run (failed) is the last kept, the 21st (timed out) the first removed,
    // and a skipped duplicate among them (no outcome, outside the sample) goes.
    const hourly = Array.from({ length: 1_000 }, (_, i) => run(i, 'completed', 30 + i * HOUR_MINUTES, 'hourly_metrics'));
    const weeklyStatus = (week: number): JobRun['status'] => (week === 19 ? 'failed' : week === 20 ? 'timeout' : 'completed');
    const weekly = Array.from({ length: 25 }, (_, week) => run(week, weeklyStatus(week), (week + 1) * WEEK_MINUTES, 'weekly_report'));
    const skippedDuplicate = run(100, 'skipped', 11 * WEEK_MINUTES - 5, 'weekly_report');
    await inBatches([...hourly, ...weekly, skippedDuplicate], (record) => runtime.stores.runs.recordRun(record));

    const outcome = await archiveRecords(
      { runs: runtime.stores.runs, events: runtime.stores.events, limits: LIMITS },
      { runId: 'weekly_report#2026-11-30T09:00:00Z', now: NOW },
    );

    expect(outcome.summary).toContain("11 job records beyond the newest 1,000 and each job's newest 20 ended runs");
    const weeklyLeft = await runtime.stores.runs.listRecent({ jobType: 'weekly_report', limit: 100 });
    expect(weeklyLeft.map((record) => record.runId)).toEqual(weekly.slice(0, 20).map((record) => record.runId));
    const hourlyLeft = await runtime.stores.runs.listRecent({ jobType: 'hourly_metrics', limit: 2_000 });
    expect(hourlyLeft.map((record) => record.runId)).toEqual(hourly.slice(0, 995).map((record) => record.runId));
  });
});
