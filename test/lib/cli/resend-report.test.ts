import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/cli/arguments.ts';
import { isoWeekArgumentOf, type ResendDependencies, resendReport } from '../../../lib/cli/resend-report.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { parseConfig, schedulesOf } from '../../../shared/config.ts';
import { CronMonitor } from '../../../shared/monitoring/cron-monitor.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

// SES is mocked at the SDK boundary: the test sees exactly what would be sent, and that nothing is when declined.
const ses = mockClient(SESClient);
const NOW = new Date('2026-12-01T10:00:00Z');
const WEEK = '2026-W48';
const ATTEMPT = '2026-11-23T09:00:04.000Z';
let runtime: LocalRuntime;
let deps: ResendDependencies;

beforeAll(async () => {
  runtime = await startTestRuntime();
  const config = parseConfig({}, NOW);
  deps = {
    ...runtime.stores,
    monitor: new CronMonitor(runtime.stores, { schedules: schedulesOf(config), thresholds: config.monitoring, budgetMinutes: 9 }),
    ses: new SESClient({ region: 'eu-west-1' }),
    linkHost: 'github.com',
    timeZone: 'UTC',
    recipients: ['cto@acme.example', 'vp@acme.example'],
    sender: 'reports@acme.example',
  };
});
afterAll(() => runtime?.close());
beforeEach(async () => {
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: 'resent-1' });
  await runtime.stores.snapshots.releaseReport(WEEK);
  await runtime.stores.snapshots.claimReport(WEEK, ATTEMPT);
  await runtime.stores.snapshots.markReportUnknown(WEEK, 'TimeoutError: socket hang up');
});

describe('cto-jobs resend-report', () => {
  it('shows what is known, and after the operator confirms it was not delivered sends it once and records it', async () => {
    let shown: readonly string[] = [];
    const confirmNotDelivered = async (known: readonly string[]) => {
      shown = known;
      return true;
    };

    const { lines, sent } = await resendReport(deps, WEEK, { now: NOW, confirmNotDelivered });

    expect(sent).toBe(true);
    expect(shown.slice(1).map((line) => line.trim().replace(/\s{2,}/, ' '))).toEqual([
      `attempted ${ATTEMPT}`,
      'SES error TimeoutError: socket hang up',
      'from reports@acme.example',
      'to cto@acme.example, vp@acme.example',
      expect.stringMatching(/^subject .*2026-W47/),
    ]);
    expect(shown[0]).toBe('the report sent in 2026-W48 (covering 2026-W47) may or may not have been delivered:');
    const [call, ...others] = ses.commandCalls(SendEmailCommand);
    expect(others).toEqual([]);
    expect(call!.args[0].input.Destination?.ToAddresses).toEqual(deps.recipients);
    expect(call!.args[0].input.Message?.Subject?.Data).toBe(shown[5]!.replace(/^\s*subject\s+/, ''));
    expect(await runtime.stores.snapshots.getReportMarker(WEEK)).toMatchObject({ status: 'sent', messageId: 'resent-1' });
    expect(lines).toEqual([expect.stringMatching(/^resent the 2026-W47 report \(marker 2026-W48\) to 2 recipient\(s\) by hand: /)]);
    const [event] = await runtime.stores.events.listForRun('weekly_report#resend#2026-W48');
    expect(event).toMatchObject({ eventType: 'report', message: lines[0] });

    // Sent now: a second resend finds it so and sends nothing.
    const again = await resendReport(deps, WEEK, { now: NOW, confirmNotDelivered });
    expect(again).toEqual({ lines: [expect.stringContaining('is marked sent')], sent: false });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('sends nothing when the operator does not confirm, and leaves the week marked unknown', async () => {
    const { lines, sent } = await resendReport(deps, WEEK, { now: NOW, confirmNotDelivered: async () => false });

    expect(sent).toBe(false);
    expect(lines).toEqual(['not sent: delivery was not confirmed missing (--confirm-not-delivered, or y on a terminal)']);
    expect(ses.commandCalls(SendEmailCommand)).toEqual([]);
    expect(await runtime.stores.snapshots.getReportMarker(WEEK)).toMatchObject({ status: 'unknown' });
  });

  it('resends only a report marked unknown: never one sent, being sent, or never attempted', async () => {
    const asked: string[] = [];
    const confirmNotDelivered = async () => asked.push('asked') > 0;
    await runtime.stores.snapshots.markReportSent(WEEK, 'first-1', ATTEMPT);
    expect((await resendReport(deps, WEEK, { now: NOW, confirmNotDelivered })).lines).toEqual([
      `the report sent in 2026-W48 is marked sent (since ${ATTEMPT}): only a report marked unknown is resent`,
    ]);
    expect((await resendReport(deps, '2026-W40', { now: NOW, confirmNotDelivered })).lines).toEqual([
      'the report sent in 2026-W40 was never sent or attempted: only a report marked unknown is resent',
    ]);
    expect(asked).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toEqual([]);
  });

  it('names a week that is not an ISO week', () => {
    expect(isoWeekArgumentOf('2026-W48')).toBe('2026-W48');
    for (const bad of ['2026-48', '2026-W54', '2026-W00', 'last week', undefined]) {
      expect(() => isoWeekArgumentOf(bad)).toThrow(UsageError);
    }
    expect(() => isoWeekArgumentOf('2026-48')).toThrow('resend-report needs an ISO week such as 2026-W48, got "2026-48"');
  });
});
