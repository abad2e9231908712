import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { JobType, RunStatus } from '../../shared/domain/job-run.ts';
import { failureAfter, newProject, type SyncFailure } from '../../shared/domain/project.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const sns = mockClient(SNSClient);
let runtime: LocalRuntime;
beforeAll(async () => (runtime = await startTestRuntime({ alertsFile: undefined })));
afterAll(() => runtime?.close());
beforeEach(async () => {
  await runtime.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

const run = (jobType: JobType, scheduledTime: string, status: RunStatus, durationMs = 60_000) =>
  scheduledRun(jobType, scheduledTime, status, { durationMs });
const jobMessages = () =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Subject?.startsWith('CTO dashboard jobs:'));
const hourly = (at: string) => runtime.runJob('hourly', { at: new Date(at), retryIntervalMs: 0 });
const NOT_FOUND = 'RepositoryNotFoundError: repository acme/gone does not exist or the token cannot see it (404)';
/** Records that the daily run of `day` failed on the project, as Record Project Failure does. */
async function dailyFailed(projectId: string, day: string): Promise<SyncFailure> {
  const project = await runtime.stores.projects.get(projectId);
  const failure = failureAfter(project?.failure, { runId: `daily_sync#${day}T02:00:00Z`, at: `${day}T02:00:00Z`, error: NOT_FOUND });
  expect(await runtime.stores.projects.saveFailure(projectId, failure, project?.failure?.lastRunId)).toBe(true);
  return failure;
}

describe('the watchdog in the hourly job', () => {
  it('alerts once for a daily slot that never ran, again only when another is missed, and resolves once a run made them up', async () => {
    for (const day of ['2026-11-24', '2026-11-25', '2026-11-26'])
      await runtime.stores.runs.recordRun(run('daily_sync', `${day}T02:00:00Z`, 'completed'));
    await runtime.stores.runs.recordRun(run('weekly_report', '2026-11-23T09:00:00Z', 'completed'));

    const first = await hourly('2026-11-27T10:00:00Z');
    expect(first.run?.summary).toContain('jobs unhealthy (daily_sync missed 1 slot(s): 2026-11-27T02:00:00Z)');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]).toMatchObject({ Subject: 'CTO dashboard jobs: 1 new' });
    expect(jobMessages()[0]!.Message).toContain(
      "NEW: Scheduled run missed\n  daily_sync missed 1 scheduled run(s)\n  no run for 2026-11-27T02:00:00Z (30 minutes' grace)",
    );

    await hourly('2026-11-27T11:00:00Z');
    await hourly('2026-11-28T01:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    // 2026-11-28 02:00 never runs either: one more missed slot makes it worse.
    await hourly('2026-11-28T03:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 worse']);
    expect((await runtime.stores.alerts.listOpen()).find((alert) => alert.rule === 'missed_run')).toMatchObject({
      alertId: 'missed_run#daily_sync',
      value: 2,
    });

    // The operator's manual run completes: the missed slots are made up for.
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T09:00:00.000Z', 'completed', 60_000));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual([
      'CTO dashboard jobs: 1 new',
      'CTO dashboard jobs: 1 worse',
      'CTO dashboard jobs: 1 resolved',
    ]);
  });

  it('alerts on three failed runs in a row, stays quiet while the streak holds, and resolves on a success', async () => {
    await runtime.stores.runs.recordRun(run('weekly_report', '2026-11-23T09:00:00Z', 'completed'));
    for (const day of ['2026-11-25', '2026-11-26', '2026-11-27'])
      await runtime.stores.runs.recordRun(run('daily_sync', `${day}T02:00:00Z`, 'failed'));
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-24T02:00:00Z', 'completed'));
    await hourly('2026-11-27T10:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Job failing run after run\n  daily_sync failed 3 runs in a row\n' +
        '  last: daily_sync#2026-11-27T02:00:00Z failed: TransientError: GitHub answered 502',
    );

    await hourly('2026-11-27T11:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed'));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });

  it('alerts on a scheduled run that started more than 30 minutes after its slot', async () => {
    await runtime.stores.runs.recordRun({
      ...run('daily_sync', '2026-11-28T02:00:00Z', 'completed'),
      createdAt: '2026-11-28T02:45:00.000Z',
    });
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Scheduled run started late\n  daily_sync#2026-11-28T02:00:00Z started 45 minutes after its slot',
    );
  });

  it('alerts on a run over 8 minutes', async () => {
    await runtime.stores.runs.recordRun(run('daily_sync', '2026-11-28T02:00:00Z', 'completed', 8.5 * 60_000));
    await hourly('2026-11-28T10:00:00Z');
    expect(jobMessages()[0]!.Message).toContain('NEW: Job run over its time limit\n  daily_sync#2026-11-28T02:00:00Z ran 8.5 minutes');
  });

  it('alerts once on a project failing to sync 3 daily runs in a row, stays quiet while it fails, resolves when it syncs', async () => {
    await runtime.stores.projects.save(newProject({ repository: 'acme/gone' }, new Date('2026-11-01T00:00:00Z')));
    await runtime.stores.projects.save(newProject({ repository: 'acme/web' }, new Date('2026-11-01T00:00:00Z')));
    await dailyFailed('acme/gone', '2026-11-26');
    await dailyFailed('acme/gone', '2026-11-27');
    const twoDays = await hourly('2026-11-27T03:00:00Z');
    expect(jobMessages()).toHaveLength(0);
    expect(twoDays.run?.summary).toContain('1 project(s) failing to sync, 0 for 3+ runs');

    await dailyFailed('acme/gone', '2026-11-28');
    await hourly('2026-11-28T03:00:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect(jobMessages()[0]).toMatchObject({ Subject: 'CTO dashboard jobs: 1 new' });
    expect(jobMessages()[0]!.Message).toContain(
      'NEW: Project failing to sync\n  acme/gone failed to sync in 3 runs in a row\n' +
        `  failing since 2026-11-26T02:00:00Z (2 day(s)); last: ${NOT_FOUND}`,
    );

    // Every hour of that day, and the next day's failure inside the 24 h cooldown, stay quiet.
    await hourly('2026-11-28T04:00:00Z');
    await dailyFailed('acme/gone', '2026-11-29');
    await hourly('2026-11-29T02:30:00Z');
    expect(jobMessages()).toHaveLength(1);
    expect((await runtime.stores.alerts.listOpen()).find((alert) => alert.rule === 'project_sync_failing')).toMatchObject({
      alertId: 'project_sync_failing#acme/gone',
      value: 4,
    });

    await runtime.stores.projects.clearFailure('acme/gone');
    await hourly('2026-11-29T03:00:00Z');
    expect(jobMessages().map((input) => input.Subject)).toEqual(['CTO dashboard jobs: 1 new', 'CTO dashboard jobs: 1 resolved']);
  });
});
