import * as fs from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { newProject } from '../../shared/domain/project.ts';
import { hour, iso, storedBug } from '../support/hourly.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

let runtime: LocalRuntime;
let alertsFile: string;
let tables: DynamoDBDocumentClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  alertsFile = process.env.LOCAL_ALERTS_FILE ?? '';
  // The runtime points the SDK's environment at the embedded DynamoDB.
  tables = DynamoDBDocumentClient.from(new DynamoDBClient({}));
});
afterAll(async () => {
  tables?.destroy();
  await runtime?.close();
});
beforeEach(async () => {
  await runtime.reset();
  fs.rmSync(alertsFile, { force: true });
  await runtime.stores.projects.save(newProject({ repository: 'acme/api' }, new Date('2026-10-01T00:00:00Z')));
});

const run = (n: number) => runtime.runJob('hourly', { at: hour(n), retryIntervalMs: 0 });
/** Every item of the Alerts table (states, outbox, evaluation marks), in key order. */
const alertsTable = async () =>
  ((await tables.send(new ScanCommand({ TableName: runtime.stores.alerts.tableName }))).Items ?? []).sort((a, b) =>
    String(a.alertKey).localeCompare(String(b.alertKey)),
  );
const alertsFileText = () => (fs.existsSync(alertsFile) ? fs.readFileSync(alertsFile, 'utf8') : '');

describe('a replay of an earlier hour, through the synthesized state machine', () => {
  it('computes and reports its own figures, but changes no alert state and notifies nobody', async () => {
    await runtime.stores.items.upsert([
      // Open and breaching all along: its alerts must stay open, not be resolved by the replay.
      storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(-48), revenueImpact: 4000, title: 'Checkout fails' }),
      // Opened between the replayed hour and the current one: unknown to the replay, still open now.
      storedBug('acme/api', 2, { severity: 'critical', createdAt: iso(1.5), title: 'Login loops' }),
    ]);
    await run(0);
    const current = await run(2);
    expect(current.run).toMatchObject({ status: 'completed' });
    const statesBefore = await alertsTable();
    const notifiedBefore = alertsFileText();
    expect(notifiedBefore).toContain('acme/api#2');
    expect(statesBefore.filter((item) => item.status === 'open').map((item) => item.alertId)).toEqual(
      expect.arrayContaining(['sla_breach#acme/api#1', 'unassigned_critical#acme/api#1', 'unassigned_critical#acme/api#2']),
    );

    const replay = await run(1);

    expect(replay.run).toMatchObject({ status: 'completed' });
    expect(await alertsTable()).toEqual(statesBefore);
    expect(alertsFileText()).toBe(notifiedBefore);
    const metricsSummary = `replay of ${iso(1)} (alerts were last evaluated at ${iso(2)}): alert state unchanged, nothing notified`;
    expect(replay.run?.summary).toContain(
      `${metricsSummary}; 1 projects, 1 open bugs, $4,000/day at risk, 1 SLA breaches (paging), 1 unassigned critical`,
    );
    expect(replay.run?.summary).toContain('no alert changed: nothing to notify');
    expect(replay.run?.summary).not.toMatch(/to notify[^:]/);
    // The replayed hour keeps its own snapshot; the latest one is still the current hour's.
    expect(await runtime.stores.snapshots.latestHourly(undefined, hour(1))).toMatchObject({ at: iso(1), openBugs: 1 });
    expect(await runtime.stores.snapshots.latestHourly()).toMatchObject({ at: iso(2), openBugs: 2 });
  });

  it('evaluates again as usual when the next hour after the replay runs', async () => {
    await runtime.stores.items.upsert([storedBug('acme/api', 1, { severity: 'critical', createdAt: iso(0.5), title: 'Checkout fails' })]);
    await run(0);
    await run(-5);
    expect(alertsFileText()).toBe('');
    const next = await run(1);
    expect(next.run?.summary).not.toContain('replay');
    expect(alertsFileText()).toContain('acme/api#1');
  });
});
