import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalRuntime, readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { DEFAULT_ALERT_RULES } from '../../shared/domain/alerts.ts';
import { DEFAULT_BUG_RULES } from '../../shared/domain/bugs.ts';
import { type ClosedBug, hourlyFigures } from '../../shared/domain/hourly-metrics.ts';
import { newProject } from '../../shared/domain/project.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { asOf, dailyOf, NOW, openBugsOf, TWO_WEEKS } from '../support/weekly.ts';

const PROJECTS = ['acme/api', 'acme/web'];
/** What the deployment's configuration says about itself, which the email carries. */
const REPORT_CONTEXT = { organizationName: 'Acme Demo', dashboardUrl: 'https://dashboard.acme.example/cto' };
/** A Monday 09:00 run ({@link NOW}) reports 23 – 29 Nov: the figures at the ends of that week and of the week before. */
const WEEK_ENDS = [new Date('2026-11-23T00:00:00Z'), new Date('2026-11-30T00:00:00Z')];
let runtime: LocalRuntime;

beforeAll(async () => {
  const context = readCdkContext(PROJECT_ROOT);
  runtime = await LocalRuntime.start({
    context: {
      ...context,
      ctoJobs: {
        ...(context.ctoJobs as object),
        report: { recipients: ['cto@example.com'], sender: 'reports@example.com', ...REPORT_CONTEXT },
      },
    },
  });
});
afterAll(() => runtime?.close());

beforeEach(async () => {
  await runtime.reset();
  await runtime.ses.clear();
  runtime.ses.clearFaults();
  for (const projectId of PROJECTS) {
    await runtime.stores.projects.save({
      ...newProject({ repository: projectId }, new Date('2026-10-01T00:00:00Z')),
      displayName: projectId === 'acme/api' ? 'API' : 'Web',
    });
    for (const at of WEEK_ENDS) await runtime.stores.snapshots.putDaily(dailyOf(projectId, new Date(at.getTime() - 22 * 3_600_000)));
  }
  await runtime.stores.items.upsert(TWO_WEEKS.filter((item) => item.projectId === 'acme/api'));
  await runtime.stores.items.upsert(TWO_WEEKS.filter((item) => item.projectId === 'acme/web'));
  for (const at of WEEK_ENDS) {
    const items = asOf(TWO_WEEKS, at);
    const closures = items.filter((item) => item.kind === 'bug' && item.closedAt) as unknown as ClosedBug[];
    await runtime.stores.snapshots.putHourly(
      hourlyFigures(PROJECTS, openBugsOf(items), closures, at, DEFAULT_BUG_RULES, DEFAULT_ALERT_RULES),
    );
  }
});

const runWeekly = (at = NOW) => runtime.runJob('weekly', { at, retryIntervalMs: 0 });

describe('the weekly job, through the synthesized state machine', () => {
  it('emails the CTO report once: a duplicate delivery and a second run in the same week send nothing', async () => {
    const first = await runWeekly();
    expect(first.run).toMatchObject({ status: 'completed' });
    const emails = await runtime.ses.emails();
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email).toMatchObject({
      from: 'reports@example.com',
      destination: { to: ['cto@example.com'] },
      subject:
        'CTO weekly report 2026-W48 · 23 – 29 Nov 2026: 1 project needs attention; revenue at risk up 43% to $7,700/day; ' +
        '2 critical bugs open',
    });
    expect(email!.body.html).toContain('Top critical bugs (2 open)');
    expect(email!.body.html).toContain('href="https://github.com/acme/api/issues/1"');
    expect(email!.body.text).toContain('  Revenue at risk: $7,700/day (last week $5,400/day, +$2,300, +43%)');
    expect(email!.body.text).toContain('  Bugs opened: 2 (last week 3, −1, −33%)');

    expect((await runWeekly()).decision).toBe('duplicate');
    const sameWeek = await runWeekly(new Date(NOW.getTime() + 3_600_000));
    expect(sameWeek.run).toMatchObject({ status: 'completed', summary: expect.stringContaining('the 2026-W48 report was already sent') });
    expect(await runtime.ses.emails()).toHaveLength(1);
  });

  it("carries the configured organisation's name and dashboard link in a deployed run's email", async () => {
    await runWeekly();
    const [email] = await runtime.ses.emails();
    expect(email!.body.html).toContain('Acme Demo');
    expect(email!.body.html).toContain('href="https://dashboard.acme.example/cto"');
    expect(email!.body.text).toContain('Acme Demo · CTO weekly report · 2026-W48 · 23 – 29 Nov 2026');
    expect(email!.body.text).toContain('https://dashboard.acme.example/cto');
  });

  it('classifies every project, stores the status with the date, and records each change', async () => {
    await runtime.stores.snapshots.putStatus({ projectId: 'acme/api', date: '2026-11-23', status: 'healthy', score: 85 });
    await runtime.stores.snapshots.putStatus({ projectId: 'acme/web', date: '2026-11-23', status: 'healthy', score: 90 });
    const result = await runWeekly();
    const api = dailyOf('acme/api', new Date(WEEK_ENDS[1]!.getTime() - 22 * 3_600_000)).health.score;
    expect(await runtime.stores.snapshots.getStatus('acme/api', '2026-11-30')).toEqual({
      projectId: 'acme/api',
      date: '2026-11-30',
      status: 'warning',
      score: api,
      previousStatus: 'healthy',
    });
    expect(await runtime.stores.snapshots.getStatus('acme/web', '2026-11-30')).toMatchObject({ status: 'healthy' });
    const changes = (await runtime.stores.events.listForRun(result.run!.runId)).filter((event) => event.eventType === 'health_check');
    expect(changes.map((event) => [event.level, event.message])).toEqual([
      ['warn', `acme/api: healthy → warning (health ${api}, was 85)`],
    ]);
    expect(result.run?.summary).toContain('health: 2 projects: 1 healthy, 1 warning, 0 critical; 1 changed status');
  });

  it('runs the health check and the report beside archiving, in one Parallel state', async () => {
    const entered: string[] = [];
    await runtime.runJob('weekly', { at: NOW, retryIntervalMs: 0, onStateEvent: (line) => entered.push(line) });
    expect(entered.filter((line) => line.startsWith('→'))).toEqual(
      expect.arrayContaining(['→ Weekly Work', '→ Archive Records', '→ Check Project Health', '→ Send Weekly Report', '→ Record Success']),
    );
  });

  it('fails the run with a clear error when SES rejects the report, and sends it once SES accepts', async () => {
    runtime.ses.failNext(
      1,
      'MessageRejected',
      400,
      'Email address is not verified. The following identities failed the check: reports@example.com',
    );
    const rejected = await runWeekly();
    expect(rejected.run).toMatchObject({
      status: 'failed',
      errorName: 'ReportRejectedError',
      errorMessage: expect.stringContaining(
        'SES rejected the 2026-W48 report from reports@example.com: MessageRejected: Email address is not verified',
      ),
    });
    expect(await runtime.stores.snapshots.getReportMarker('2026-W49')).toBeUndefined();
    expect(await runtime.ses.emails()).toHaveLength(0);

    expect((await runWeekly(new Date(NOW.getTime() + 3_600_000))).run).toMatchObject({ status: 'completed' });
    expect(await runtime.ses.emails()).toHaveLength(1);
    expect(await runtime.stores.snapshots.getReportMarker('2026-W49')).toMatchObject({ status: 'sent' });
  });

  it('retries a transient SES failure and sends once', async () => {
    runtime.ses.failNext(2, 'ServiceUnavailable', 503, 'Service is unavailable, try again');
    const result = await runWeekly();
    expect(result.run).toMatchObject({ status: 'completed', attempts: 3 });
    expect(await runtime.ses.emails()).toHaveLength(1);
  });

  it('never retries a send that got no answer (it may have gone out), and says so on the next run too', async () => {
    runtime.ses.dropNext(1);
    const lost = await runWeekly();
    expect(lost.run).toMatchObject({
      status: 'failed',
      attempts: 1,
      errorName: 'ReportDeliveryUnknownError',
      errorMessage: expect.stringContaining('it may have been sent, so it is not retried'),
    });
    expect(await runtime.stores.snapshots.getReportMarker('2026-W49')).toMatchObject({ status: 'unknown' });
    const next = await runWeekly(new Date(NOW.getTime() + 3_600_000));
    expect(next.run).toMatchObject({
      status: 'failed',
      errorName: 'ReportDeliveryUnknownError',
      errorMessage: expect.stringContaining('check SES'),
    });
    expect(await runtime.ses.emails()).toHaveLength(0);
  });

  it('still sends the report when archiving fails, and records the archive failure', async () => {
    const result = await runtime.runJob('weekly', {
      at: NOW,
      retryIntervalMs: 0,
      beforeTask: (stateName) => {
        if (stateName === 'Archive Records') throw Object.assign(new Error('the archive hit a wall'), { name: 'InvalidDataError' });
      },
    });
    expect(result.run).toMatchObject({
      status: 'completed',
      recordsFailed: 1,
      summary: expect.stringContaining('archive: failed: InvalidDataError: the archive hit a wall'),
    });
    expect(await runtime.ses.emails()).toHaveLength(1);
  });

  it("shows each job's success rate at the week's end as the watchdog judges it, not the week's runs alone", async () => {
    // The daily job's 7 runs of the week all completed (100%), but its sample, the last 20 runs, holds two
    // failures (90%); the failed run of Monday 02:00 comes after the week's end and is not in the report's sample.
    const days = Array.from({ length: 20 }, (_, index) => `2026-11-${String(29 - index).padStart(2, '0')}T02:00:00Z`);
    for (const day of days) {
      const failed = day.startsWith('2026-11-12') || day.startsWith('2026-11-15');
      await runtime.stores.runs.recordRun(scheduledRun('daily_sync', day, failed ? 'failed' : 'completed'));
    }
    await runtime.stores.runs.recordRun(scheduledRun('daily_sync', '2026-11-30T02:00:00Z', 'failed'));

    await runWeekly();

    const [email] = await runtime.ses.emails();
    expect(email!.body.text).toContain(
      '  daily_sync: 7 runs, average 60.0 s, 0 failed, 0 timed out; success rate 90.0% (18 of 20 since 2026-11-10)\n',
    );
    expect(email!.body.text).toContain(
      '  hourly_metrics: 0 runs, average -, 0 failed, 0 timed out; success rate not judged yet (0 of 20 runs)',
    );
    expect(email!.body.text).toContain('  Target: 99.5% of runs succeed; below it: daily_sync 90.0%.');
    expect(email!.body.html).toMatch(/<td[^>]*>daily_sync<\/td><td[^>]*>7<\/td><td[^>]*>90\.0%<\/td>/);
  });
});
