import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig, schedulesOf } from '../../../shared/config.ts';
import type { JobType, RunStatus } from '../../../shared/domain/job-run.ts';
import { successRateAlerts } from '../../../shared/domain/job-run-rules.ts';
import { CronMonitor } from '../../../shared/monitoring/cron-monitor.ts';
import { scheduledRun } from '../../support/job-runs.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// The stack's JobHistory, created in dynalite from the synthesized template.
const runtime = await startTestRuntime();
afterAll(() => runtime.close());
beforeEach(() => {
  vi.restoreAllMocks();
  return runtime.reset();
});

/** A Monday afternoon: the weekly job's slot (Mondays 09:00 UTC) has run. */
const NOW = new Date('2026-11-30T12:00:00Z');
const DAY_MS = 86_400_000;
const monitorWith = (monitoring: Record<string, unknown> = {}) => {
  const config = parseConfig({ monitoring }, NOW);
  return new CronMonitor(runtime.stores, { schedules: schedulesOf(config), thresholds: config.monitoring, budgetMinutes: 9 });
};
/** Runs of `jobType` every `everyDays` back from `first`, newest first, with the statuses given (newest first). */
async function history(jobType: JobType, first: string, everyDays: number, statuses: readonly RunStatus[]) {
  for (const [index, status] of statuses.entries()) {
    const scheduledTime = `${new Date(Date.parse(first) - index * everyDays * DAY_MS).toISOString().slice(0, 19)}Z`;
    await runtime.stores.runs.recordRun(scheduledRun(jobType, scheduledTime, status));
  }
}
const repeat = (count: number, status: RunStatus): RunStatus[] => Array.from({ length: count }, () => status);
const WEEKLY_NEWEST = '2026-11-30T09:00:00Z';

describe('CronMonitor success rates', () => {
  it('judges the weekly job over its last 20 runs (20 weeks) in one Query: 19 of 20 is exactly 95%, 18 of 20 alerts', async () => {
    // 22 weeks: the oldest two (one failed) are beyond the 20 runs the rate covers.
    await history('weekly_report', WEEKLY_NEWEST, 7, [
      ...repeat(5, 'completed'),
      'failed',
      ...repeat(14, 'completed'),
      'failed',
      'completed',
    ]);
    const monitor = monitorWith();
    const listRecent = vi.spyOn(runtime.stores.runs, 'listRecent');

    const atTheLine = (await monitor.view(NOW)).successRates.weekly_report;
    expect(atTheLine).toEqual({ completed: 19, runs: 20, since: '2026-07-20T09:00:00Z', percent: 95 });
    expect(listRecent.mock.calls.filter(([options]) => options.jobType === 'weekly_report')).toEqual([
      [{ jobType: 'weekly_report', limit: 20 }],
    ]);
    expect(successRateAlerts('weekly_report', atTheLine, monitor.thresholds)).toEqual([]);

    // A manual run after the slot fails: the newest 20 hold both failures.
    const manual = { ...scheduledRun('weekly_report', '2026-11-30T10:00:00.000Z', 'failed'), trigger: 'manual' as const };
    await runtime.stores.runs.recordRun({ ...manual, runId: `${manual.runId}#manual` });
    const below = (await monitor.view(NOW)).successRates.weekly_report;
    expect(below).toEqual({ completed: 18, runs: 20, since: '2026-07-27T09:00:00Z', percent: 90 });
    expect(successRateAlerts('weekly_report', below, monitor.thresholds)).toMatchObject([
      { alertId: 'low_success_rate#weekly_report', title: 'weekly_report succeeded in 90% of its last 20 runs' },
    ]);
  });

  it('reads on past skipped runs until it has 20 ended ones, doubling the Query', async () => {
    await history('weekly_report', WEEKLY_NEWEST, 7, repeat(20, 'completed'));
    // 10 skipped weekly runs (an overlap loop) newer than the week's slot, all scheduled before now.
    for (let minute = 1; minute <= 10; minute++) {
      const scheduledTime = `2026-11-30T09:${String(minute).padStart(2, '0')}:00.000Z`;
      const skipped = { ...scheduledRun('weekly_report', scheduledTime, 'skipped'), trigger: 'manual' as const };
      await runtime.stores.runs.recordRun({ ...skipped, runId: `${skipped.runId}#manual` });
    }
    const listRecent = vi.spyOn(runtime.stores.runs, 'listRecent');

    expect((await monitorWith().view(NOW)).successRates.weekly_report).toMatchObject({ completed: 20, runs: 20, percent: 100 });
    expect(listRecent.mock.calls.filter(([options]) => options.jobType === 'weekly_report').map(([options]) => options.limit)).toEqual([
      20, 40,
    ]);
  });

  it('covers a success-rate window wider than its own 8 days, and leaves the dashboard to its window', async () => {
    // 30 daily runs, 2 failed 9 and 25 days ago: 28 of 30 over a 30-day window, where the newest 20 alone say 95%.
    const statuses = repeat(30, 'completed');
    statuses[9] = 'failed';
    statuses[25] = 'failed';
    await history('daily_sync', '2026-11-30T02:00:00Z', 1, statuses);

    const view = await monitorWith({ successRateWindowDays: 30 }).view(NOW);
    expect(view.successRates.daily_sync).toEqual({ completed: 28, runs: 30, since: '2026-11-01T02:00:00Z', percent: 93.3 });
    expect(view.runs.filter((run) => run.jobType === 'daily_sync')).toHaveLength(8);
    expect(view.dashboard.statistics.find((job) => job.jobType === 'daily_sync')).toMatchObject({ total: 8, completed: 8 });
  });

  it('judges the job as it stood at an earlier instant, leaving out runs after it', async () => {
    await history('weekly_report', WEEKLY_NEWEST, 7, ['failed', ...repeat(20, 'completed')]);
    const weekBefore = new Date(NOW.getTime() - 7 * DAY_MS);
    expect((await monitorWith().view(weekBefore)).successRates.weekly_report).toMatchObject({ completed: 20, runs: 20, percent: 100 });
  });
});
