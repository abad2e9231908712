import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { readCdkContext } from '../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../lib/project.ts';
import { METRIC_NAMES, SUCCESS_RATES } from '../../shared/metrics.ts';
import { captureEmf } from '../support/emf.ts';
import { scheduledRun } from '../support/job-runs.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const sns = mockClient(SNSClient);
const emf = captureEmf();
let runtime: LocalRuntime;
beforeAll(async () => {
  const context = readCdkContext(PROJECT_ROOT);
  const ctoJobs = context.ctoJobs as Record<string, unknown>;
  // A 60-day window: wider than the 8 days the cron monitor reads for its dashboard and the newest runs the other rules read.
  runtime = await startTestRuntime({
    alertsFile: undefined,
    context: { ...context, ctoJobs: { ...ctoJobs, monitoring: { successRateWindowDays: 60 } } },
    environment: { POWERTOOLS_METRICS_DISABLED: 'false' },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});
afterAll(() => runtime?.close());

describe("the watchdog's success rate", () => {
  it('alerts on the sample its metric publishes: 56 of 60 daily runs over a 60-day window, 3 of the failures over 40 days old', async () => {
    await runtime.stores.runs.recordRun(scheduledRun('weekly_report', '2026-11-23T09:00:00Z', 'completed'));
    for (let daysAgo = 0; daysAgo < 60; daysAgo++) {
      const scheduledTime = `${new Date(Date.parse('2026-11-28T02:00:00Z') - daysAgo * 86_400_000).toISOString().slice(0, 19)}Z`;
      await runtime.stores.runs.recordRun(
        scheduledRun('daily_sync', scheduledTime, [9, 44, 50, 55].includes(daysAgo) ? 'failed' : 'completed'),
      );
    }

    await runtime.runJob('hourly', { at: new Date('2026-11-28T10:00:00Z'), retryIntervalMs: 0 });

    const messages = sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Message ?? '');
    expect(messages.filter((message) => message.includes('Job success rate below its alert line'))).toEqual([
      expect.stringContaining(
        '  daily_sync succeeded in 93.3% of its last 60 runs\n' +
          '  56 of 60 ended runs completed since 2026-09-30T02:00:00Z, below the 95% alert line',
      ),
    ]);
    expect(emf.published(METRIC_NAMES.successRate).map(({ value }) => value)).toEqual([93.3]);
    const rates = JSON.parse(emf.lines.find((line) => line[SUCCESS_RATES] !== undefined)![SUCCESS_RATES] as string);
    expect(rates.daily_sync).toEqual({ completed: 56, runs: 60, since: '2026-09-30T02:00:00Z', percent: 93.3 });
  });
});
