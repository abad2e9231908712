/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherStatus, type StatusReport, statusPageHtml, statusText } from '../../../lib/cli/status.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { parseConfig, schedulesOf } from '../../../shared/config.ts';
import { DEFAULT_BUG_RULES } from '../../../shared/domain/bugs.ts';
import { type DailySnapshot, dailySnapshot } from '../../../shared/domain/daily-metrics.ts';
import type { JobType, RunStatus } from '../../../shared/domain/job-run.ts';
import { newProject } from '../../../shared/domain/project.ts';
import { CronMonitor } from '../../../shared/monitoring/cron-monitor.ts';
import { ARTIFACTS_DIRECTORY, BROWSER_SETUP_TIMEOUT_MS, launchChromium } from '../../support/browser.ts';
import { HOSTILE_TITLES } from '../../support/hostile-text.ts';
import { storedBug } from '../../support/hourly.ts';
import { scheduledRun } from '../../support/job-runs.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const NOW = new Date('2026-11-28T12:30:00Z');
const HOUR = 3_600_000;
let runtime: LocalRuntime;
let report: StatusReport;
let apiHealth: DailySnapshot;

function run(jobType: JobType, hoursAgo: number, status: RunStatus, durationMs: number, errorMessage?: string) {
  const scheduledTime = `${new Date(NOW.getTime() - hoursAgo * HOUR).toISOString().slice(0, 19)}Z`;
  return scheduledRun(jobType, scheduledTime, status, {
    durationMs,
    errorName: errorMessage ? 'TransientError' : undefined,
    errorMessage,
  });
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  const config = parseConfig({}, NOW);
  // Daily runs at 02:00 for 10 days (one failed), hourly runs for the last 48 hours (two timed out).
  for (let day = 0; day < 10; day++)
    await runtime.stores.runs.recordRun(
      run(
        'daily_sync',
        10.5 + 24 * day,
        day === 3 ? 'failed' : 'completed',
        60_000 + day * 1000,
        day === 3 ? HOSTILE_TITLES[0] : undefined,
      ),
    );
  for (let hour = 0; hour < 48; hour++)
    await runtime.stores.runs.recordRun(run('hourly_metrics', hour + 0.5, hour === 5 || hour === 30 ? 'timeout' : 'completed', 10_000));
  await runtime.stores.runs.recordRun(run('weekly_report', 5 * 24 + 3.5, 'completed', 30_000));
  await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, NOW));
  await runtime.stores.snapshots.putStatus({ projectId: 'acme/api', date: '2026-11-23', status: 'warning', score: 64 });
  // acme/api's latest daily snapshot (one unassigned critical bug) is the day before's; acme/gone has none.
  const criticalBug = storedBug('acme/api', 1, { severity: 'critical', createdAt: '2026-11-20T09:00:00Z' });
  apiHealth = dailySnapshot(
    newProject({ repository: 'acme/api' }, NOW),
    [criticalBug],
    DEFAULT_BUG_RULES,
    new Date('2026-11-27T02:00:00Z'),
  );
  await runtime.stores.snapshots.putDaily(apiHealth);
  // acme/gone has failed to sync in the last 3 daily runs.
  await runtime.stores.projects.save(newProject({ repository: 'acme/gone' }, NOW));
  await runtime.stores.projects.saveFailure(
    'acme/gone',
    {
      since: '2026-11-26T02:00:00Z',
      consecutiveRuns: 3,
      lastError: `RepositoryNotFoundError: ${HOSTILE_TITLES[0]}`,
      lastRunId: 'daily_sync#2026-11-28T02:00:00Z',
    },
    undefined,
  );
  report = await gatherStatus(runtime.stores, {
    schedules: schedulesOf(config),
    thresholds: config.monitoring,
    budgetMinutes: config.jobTimeoutMinutes,
    // Stricter than the default (healthy from 80): the classification follows the configured thresholds.
    healthThresholds: { healthy: 90, warning: 50 },
    now: NOW,
  });
});
afterAll(() => runtime?.close());

/** Neither project's sync has finished in the seeded history: no lag yet (and no verdict, the limit not given). */
const NEVER_CONFIRMED = { lastSyncedAt: null, webhookConfirmedAt: null, confirmedAt: null, lagSeconds: null };

describe('cto-jobs status', () => {
  it('gives the dashboard figures from the seeded history, through the indexes', () => {
    const [daily, hourly, weekly] = report.dashboard.statistics;
    expect(daily).toMatchObject({
      jobType: 'daily_sync',
      total: 10,
      completed: 9,
      failed: 1,
      successRate: 9 / 10,
      nextRun: '2026-11-29T02:00:00Z',
    });
    expect(hourly).toMatchObject({
      jobType: 'hourly_metrics',
      total: 48,
      completed: 46,
      timeouts: 2,
      avgExecutionTimeMs: 10_000,
      p95ExecutionTimeMs: 10_000,
      consecutiveFailures: 0,
    });
    expect(weekly).toMatchObject({ total: 1, successRate: 1, nextRun: '2026-11-30T09:00:00Z' });
    expect(report.dashboard.summary).toEqual({ runningJobs: 0, recentFailures: 1, slowJobs: 0, healthStatus: 'degraded' });
    expect(report.health.missedRuns).toEqual({ daily_sync: [], hourly_metrics: [], weekly_report: [] });
    expect(apiHealth.health.score).toBeGreaterThanOrEqual(80);
    expect(apiHealth.health.score).toBeLessThan(90);
    // Worst first: a project never synced comes before one with a health.
    expect(report.windowDays).toBe(14);
    expect(report.projects).toEqual([
      {
        projectId: 'acme/gone',
        health: null,
        weeklyStatus: null,
        syncFailure: { since: '2026-11-26T02:00:00Z', consecutiveRuns: 3, lastError: `RepositoryNotFoundError: ${HOSTILE_TITLES[0]}` },
        lag: NEVER_CONFIRMED,
      },
      {
        projectId: 'acme/api',
        health: {
          score: apiHealth.health.score,
          formulaVersion: 'health-v2',
          classification: 'warning',
          date: '2026-11-27',
          syncedAt: null,
        },
        weeklyStatus: { status: 'warning', score: 64, date: '2026-11-23' },
        lag: NEVER_CONFIRMED,
      },
    ]);
    expect(report.daily.hourly_metrics).toHaveLength(14);
    expect(report.daily.hourly_metrics.at(-1)).toMatchObject({
      date: '2026-11-28',
      runs: 13,
      successRate: 12 / 13,
      p50DurationMs: 10_000,
    });
    expect(statusText(report)).toContain('Status: DEGRADED at 2026-11-28 12:30 UTC, over 14 days');
    for (const line of statusText(report).split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("shows each job's success rate as the watchdog judges it against the 99.5% target, in the JSON, the text and the page", () => {
    expect(report.successRate).toEqual({
      windowDays: 7,
      minRuns: 20,
      alertPercent: 95,
      targetPercent: 99.5,
      jobs: {
        // 10 daily runs in all: fewer than the 20 the rate needs, reaching back past the window.
        daily_sync: { completed: 9, runs: 10, since: '2026-11-19T02:00:00Z', percent: null },
        hourly_metrics: { completed: 46, runs: 48, since: '2026-11-26T13:00:00Z', percent: 95.8 },
        weekly_report: { completed: 1, runs: 1, since: '2026-11-23T09:00:00Z', percent: null },
      },
    });
    expect(statusText(report)).toContain(
      [
        'success rate over 7 days or the last 20 runs (target 99.5%, alert below 95%):',
        '  - daily_sync: not judged yet (10 of 20 runs)',
        '  - hourly_metrics: 95.8% (46 of 48) below target',
        '  - weekly_report: not judged yet (1 of 20 runs)',
      ].join('\n'),
    );
    const page = statusPageHtml(report);
    expect(page).toContain('success rate <span class="warn">95.8%</span></span> · <span class="nowrap">target 99.5%</span>');
    expect(page).toContain('success rate over 7 days or the last 20 runs: not judged yet (10 of 20 runs)');
  });

  it('lists the projects failing to sync, since when, and their last error, in the text and the page', () => {
    expect(statusText(report)).toContain(
      'Projects failing to sync: 1\n' +
        '  - acme/gone: failing 3 run(s) in a row since 2026-11-26 02:00 UTC\n' +
        `    last error: RepositoryNotFoundError: ${HOSTILE_TITLES[0]}`,
    );
    const html = statusPageHtml(report);
    expect(html).toContain('<span class="sub failing">failing 3 run(s) in a row since 2026-11-26 02:00 UTC</span>');
    expect(html).toContain('RepositoryNotFoundError: &lt;!channel&gt; &lt;script&gt;');
  });

  it("shows each project's latest health, its formula, and its weekly status in the text and the page", () => {
    const text = statusText(report);
    expect(text).toMatch(new RegExp(`acme/api +${apiHealth.health.score} warning +health-v2 +2026-11-27 +warning \\(64, 2026-11-23\\)`));
    expect(text).toMatch(/acme\/gone +never synced +- +never +-/);
    const html = statusPageHtml(report);
    expect(html).toContain(
      `<span class="warning" title="latest daily score (health-v2) of 2026-11-27">warning ${apiHealth.health.score}</span>` +
        '<br><span class="sub" title="weekly health check of 2026-11-23">weekly: <span class="warning">warning 64</span></span>',
    );
    expect(html).toContain('<td class="health"><span class="muted">never synced</span></td>');
  });

  it("shows each project's lag since its data was last confirmed, stale past the limit, in the JSON, the text and the page", async () => {
    // acme/api: last synced at 02:00 the day before, a webhook delivery applied at 09:00 since: 27.5 h before NOW.
    await runtime.stores.projects.saveSyncState('acme/api', { page: 1, lastSyncedAt: '2026-11-27T02:00:00.000Z' });
    await runtime.stores.projects.recordWebhookConfirmation('acme/api', '2026-11-27T09:00:00.000Z');
    const config = parseConfig({}, NOW);
    const judged = await gatherStatus(runtime.stores, {
      schedules: schedulesOf(config),
      thresholds: config.monitoring,
      budgetMinutes: config.jobTimeoutMinutes,
      healthThresholds: config.healthThresholds,
      now: NOW,
      staleAfterHours: 26,
    });

    const json = JSON.parse(JSON.stringify(judged)) as StatusReport;
    expect(json.staleAfterHours).toBe(26);
    expect(json.projects.map(({ projectId, lag }) => ({ projectId, lag }))).toEqual([
      { projectId: 'acme/gone', lag: { ...NEVER_CONFIRMED, stale: false } },
      {
        projectId: 'acme/api',
        lag: {
          lastSyncedAt: '2026-11-27T02:00:00.000Z',
          webhookConfirmedAt: '2026-11-27T09:00:00.000Z',
          confirmedAt: '2026-11-27T09:00:00.000Z',
          lagSeconds: 27.5 * 3600,
          stale: true,
        },
      },
    ]);
    const text = statusText(judged);
    expect(text).toMatch(/project \(worst first\) .* weekly status +confirmed\n/);
    expect(text).toMatch(/acme\/api +.* +warning \(64, 2026-11-23\) +28 h ago \(stale\)(\n|$)/);
    expect(text).toMatch(/acme\/gone +never synced +- +never +- +never\n/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const html = statusPageHtml(judged);
    expect(html).toContain('<th class="when num">confirmed</th>');
    expect(html).toContain(
      '<td class="when num"><time datetime="2026-11-27T09:00:00.000Z" title="2026-11-27 09:00 UTC">28 h ago</time><br>' +
        '<span class="sub failing" title="last sync 2026-11-27 02:00 UTC; last webhook 2026-11-27 09:00 UTC">stale</span></td>',
    );
    // Without the limit, the page shows the lag alone.
    expect(statusPageHtml(report)).toContain('<td class="when num"><span class="muted">never</span></td>');
  });

  it('answers getJobStats(since) and getRecentEvents(limit, type) through the indexes', async () => {
    const config = parseConfig({}, NOW);
    const monitor = new CronMonitor(runtime.stores, { schedules: schedulesOf(config), thresholds: config.monitoring, budgetMinutes: 9 });
    const lastDay = await monitor.getJobStats(new Date(NOW.getTime() - 24 * HOUR), NOW);
    expect(lastDay.map((job) => [job.jobType, job.total, job.completed, job.timeouts])).toEqual([
      ['daily_sync', 1, 1, 0],
      ['hourly_metrics', 24, 23, 1],
      ['weekly_report', 0, 0, 0],
    ]);
    await runtime.stores.events.append({ runId: 'r', timestamp: NOW.toISOString(), eventType: 'alert', level: 'info', message: 'sent' });
    expect((await monitor.getRecentEvents(5, 'alert')).map((event) => event.message)).toEqual(['sent']);
  });

  it(
    'renders a self-contained status page in headless Chromium: charts drawn, no overflow at 375 px, errors escaped',
    async () => {
      const html = statusPageHtml(report);
      expect(html).not.toMatch(/<script|src=|href=/);
      const browser = await launchChromium();
      try {
        fs.mkdirSync(ARTIFACTS_DIRECTORY, { recursive: true });
        for (const width of [375, 960]) {
          const page = await browser.newPage({ viewport: { width, height: 900 } });
          await page.setContent(html);
          const layout = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            charts: document.querySelectorAll('figure svg').length,
            bars: document.querySelectorAll('rect.bar:not(.none)').length,
            lines: [...document.querySelectorAll('polyline.line.p95')].map((line) => line.getBoundingClientRect().width),
            // biome-ignore lint/performance/useDomNodeTextContent: the text as the browser renders it; textContent also holds hidden nodes
            text: document.body.innerText,
          }));
          await page.screenshot({ path: path.join(ARTIFACTS_DIRECTORY, `status-page-${width}px.png`), fullPage: true });
          await page.close();
          expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
          expect(layout.charts).toBe(6);
          // Days with an ended run: the last 10 of the daily job, the last 3 of the hourly one, one of the weekly one.
          expect(layout.bars).toBe(10 + 3 + 1);
          expect(layout.lines).toHaveLength(2);
          expect(layout.lines.filter((lineWidth) => lineWidth > 0).length).toBeGreaterThanOrEqual(2);
          expect(layout.text).toContain('TransientError: <!channel> <script>alert(1)</script>');
        }
      } finally {
        await browser.close();
      }
    },
    BROWSER_SETUP_TIMEOUT_MS,
  );
});
