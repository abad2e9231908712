import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../support/lambda-context.ts';

/** Powertools' log lines (JSON with a `level`), from stdout and stderr, while the test runs. */
function captureLogLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.startsWith('{"level"')) return write(chunk, ...(rest as []));
      lines.push(JSON.parse(text) as Record<string, unknown>);
      return true;
    });
  }
  return lines;
}

beforeEach(() => {
  // The logger reads its level when it is created: a fresh one, at INFO (the tests' default is SILENT).
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const RUN_ID = 'daily_sync#2026-12-01T02:00:00Z';

/**
 * A "Summarize Sync" handler over the given projects' outcomes: the deployed one reads them from the Projects table,
 * this one is handed them, so the wrapper is tested without a table.
 */
async function summarizeSyncOf(projects: { projectId: string; recordsProcessed: number; recordsFailed: number }[]) {
  const { workStepHandler } = await import('../../shared/engine/work-step.ts');
  const { summarizeSync } = await import('../../shared/daily/steps.ts');
  return workStepHandler(async ({ scheduledTime }) =>
    summarizeSync({ scheduledTime, projectCount: projects.length, replayOf: null, projects }),
  );
}

describe('a wrapped handler', () => {
  it('logs a failed invocation as a Powertools JSON line with the run id and Lambda request id, and rethrows it unchanged', async () => {
    const handler = await summarizeSyncOf([{ projectId: 'acme/api', recordsProcessed: 0, recordsFailed: 1 }]);
    const lines = captureLogLines();
    const context = lambdaContext('SummarizeSync');
    const event = { runId: RUN_ID, jobType: 'daily_sync', scheduledTime: '2026-12-01T02:00:00.000Z', retryCount: 0 };

    const failure = await handler(event, context).catch((error: unknown) => error);

    expect(failure).toMatchObject({
      name: 'SyncFailedError',
      message: "0 of 1 project(s) synced, 1 failed (acme/api); each project's error is in SyncEvents",
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      message: 'invocation failed',
      service: 'cto-dashboard-jobs',
      runId: RUN_ID,
      jobType: 'daily_sync',
      function_name: 'SummarizeSync',
      function_request_id: context.awsRequestId,
      error: { name: 'SyncFailedError' },
    });
  });

  it("adds the run's ids to every line of an invocation and drops them when it ends", async () => {
    const { lambdaHandler } = await import('../../shared/handler.ts');
    const { logger } = await import('../../shared/logger.ts');
    const handler = lambdaHandler(async (event: { readonly step: string }) => {
      logger.info(`${event.step} started`);
      logger.info(`${event.step} done`);
      return event.step;
    });
    const lines = captureLogLines();
    const first = lambdaContext();
    const second = lambdaContext();

    await handler({ step: 'sync', runId: RUN_ID, projectId: 'acme/api' } as { step: string }, first);
    await handler({ step: 'summary', runId: 'weekly_report#2026-11-30T09:00:00Z' } as { step: string }, second);

    expect(lines.map((line) => [line.message, line.runId, line.projectId, line.function_request_id])).toEqual([
      ['sync started', RUN_ID, 'acme/api', first.awsRequestId],
      ['sync done', RUN_ID, 'acme/api', first.awsRequestId],
      ['invocation completed', RUN_ID, 'acme/api', first.awsRequestId],
      ['summary started', 'weekly_report#2026-11-30T09:00:00Z', undefined, second.awsRequestId],
      ['summary done', 'weekly_report#2026-11-30T09:00:00Z', undefined, second.awsRequestId],
      ['invocation completed', 'weekly_report#2026-11-30T09:00:00Z', undefined, second.awsRequestId],
    ]);
  });

  it("ends a step's invocation with one line carrying its figures and summary, so a good run can be followed", async () => {
    const handler = await summarizeSyncOf([{ projectId: 'acme/api', recordsProcessed: 12, recordsFailed: 0 }]);
    const lines = captureLogLines();
    const context = lambdaContext('SummarizeSync');

    await handler({ runId: RUN_ID, jobType: 'daily_sync', scheduledTime: '2026-12-01T02:00:00.000Z', retryCount: 0 }, context);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'invocation completed',
      runId: RUN_ID,
      function_request_id: context.awsRequestId,
      recordsProcessed: 12,
      recordsFailed: 0,
    });
    expect(lines[0]!.summary).toEqual(expect.stringContaining('1 of 1 project'));
  });

  it('reads the run id of a run request (Start Run, an execution status change)', async () => {
    const { correlationIdsOf } = await import('../../shared/handler.ts');

    expect(
      correlationIdsOf({ jobType: 'daily_sync', trigger: 'schedule', scheduledTime: '2026-12-01T02:00:00Z', executionArn: 'arn' }),
    ).toEqual({
      runId: RUN_ID,
      jobType: 'daily_sync',
    });
    expect(correlationIdsOf('not an object')).toEqual({});
  });
});
