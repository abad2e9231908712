import * as fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { removeProject } from '../../lib/cli/projects.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { AlertDigest } from '../../shared/domain/alert-message.ts';
import { newProject } from '../../shared/domain/project.ts';
import { hour, iso, storedBug } from '../support/hourly.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

let runtime: LocalRuntime;
let alertsFile: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  alertsFile = process.env.LOCAL_ALERTS_FILE ?? '';
});
afterAll(async () => {
  await runtime?.close();
});
beforeEach(async () => {
  await runtime.reset();
  fs.rmSync(alertsFile, { force: true });
  for (const repository of ['acme/api', 'acme/web'])
    await runtime.stores.projects.save(newProject({ repository }, new Date('2026-10-01T00:00:00Z')));
  await runtime.stores.items.upsert([
    // Open and unassigned, under their SLA: one alert each, open until the purge.
    storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-0.5), title: 'Checkout fails' }),
    storedBug('acme/api', 2, { severity: 'critical', createdAt: iso(-0.5), title: 'Login loops' }),
    storedBug('acme/web', 7, { severity: 'critical', createdAt: iso(-0.5), title: 'Blank page' }),
  ]);
});

const run = (n: number) => runtime.runJob('hourly', { at: hour(n), retryIntervalMs: 0 });
/** Each on-call message written to the alerts file, in order. */
const published = (): { subject: string; message: string; digest: AlertDigest }[] =>
  fs.existsSync(alertsFile)
    ? fs
        .readFileSync(alertsFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
    : [];
const purgeRunId = `projects_purge#${iso(0.5)}#acme/api`;

describe('the notice a purge queues, through the synthesized hourly state machine', () => {
  it('is sent once by the next hourly run, naming the purged alerts, and not again by the run after', async () => {
    await run(0);
    expect(published().map(({ subject }) => subject)).toEqual([expect.stringContaining('3 new')]);

    const purge = await removeProject(runtime.stores, 'acme/api', { purge: true, now: hour(0.5) });
    expect(purge.lines).toContain('resolved 2 open alerts: one notice queued in the alert outbox, sent by the next hourly run');
    const next = await run(1);

    expect(next.run).toMatchObject({ status: 'completed' });
    const [, notice, ...more] = published();
    expect(more).toEqual([]);
    expect(notice?.subject).toContain('2 resolved');
    expect(notice?.digest).toMatchObject({ runId: purgeRunId, counts: { fired: 0, worse: 0, reminder: 0, resolved: 2 } });
    expect(notice?.digest.notices.map(({ kind, alert }) => [kind, alert.alertId])).toEqual([
      ['resolved', 'unassigned_critical#acme/api#1'],
      ['resolved', 'unassigned_critical#acme/api#2'],
    ]);
    expect(notice?.message).toContain('acme/api#1 Checkout fails');
    expect(notice?.message).toContain('acme/api#2 Login loops');
    expect(notice?.message).not.toContain('acme/web');
    expect(next.run?.summary).toContain(`bugs of ${purgeRunId}: 2 notices; on-call: sent`);
    expect(await runtime.stores.events.listForRun(next.run!.runId)).toContainEqual(
      expect.objectContaining({ eventType: 'alert', message: `on-call: sent 2 bugs alert notices queued by ${purgeRunId} (attempt 1)` }),
    );
    expect(await runtime.stores.alerts.listPending()).toEqual([]);

    const after = await run(2);
    expect(after.run).toMatchObject({ status: 'completed' });
    expect(published()).toHaveLength(2);
    expect(after.run?.summary).toContain('no alert changed: nothing to notify');
  });

  it('is left by a replay of an earlier hour to the next run of the latest hour', async () => {
    await run(0);
    await removeProject(runtime.stores, 'acme/api', { purge: true, now: hour(0.5) });

    const replay = await run(-1);

    expect(replay.run).toMatchObject({ status: 'completed' });
    expect(published()).toHaveLength(1);
    expect((await runtime.stores.alerts.listPending()).map(({ runId }) => runId)).toEqual([purgeRunId]);
    await run(1);
    expect(published().map(({ digest }) => digest.runId)).toEqual([`hourly_metrics#${iso(0).replace('.000', '')}`, purgeRunId]);
  });
});
