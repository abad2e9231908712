import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smokeTest } from '../../../lib/cli/smoke.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { type JobName, type RunRequest, type RunStatus, runIdOf } from '../../../shared/domain/job-run.ts';
import { useMockedDeployment } from '../../support/deployed-stack.ts';
import { scheduledRun } from '../../support/job-runs.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine';
// Each mocked execution leaves in the local tables what the deployed job would (or would not).
const { clients, stepFunctions } = useMockedDeployment({
  DailyStateMachineArn: `${ARN}:daily`,
  HourlyStateMachineArn: `${ARN}:hourly`,
  WeeklyStateMachineArn: `${ARN}:weekly`,
});
let runtime: LocalRuntime;
let clock = Date.parse('2026-12-01T10:00:00.000Z');

/** What a deployed job leaves behind: its run's final status, how many events, and whether one is the report's. */
interface Deployment {
  readonly execution: string;
  readonly run?: RunStatus;
  readonly events: number;
  readonly report?: boolean;
}

function deploy(jobs: Record<JobName, Deployment>) {
  stepFunctions.on(StartExecutionCommand).callsFake(async (input: { stateMachineArn: string; input: string }) => {
    const job = input.stateMachineArn.split(':').at(-1) as JobName;
    const request = JSON.parse(input.input) as RunRequest;
    const runId = runIdOf(request);
    const outcome = jobs[job];
    if (outcome.run) {
      await runtime.stores.runs.recordRun({
        ...scheduledRun(request.jobType, request.scheduledTime, outcome.run, { durationMs: 4_200 }),
        runId,
        trigger: 'manual',
      });
    }
    for (let index = 0; index < outcome.events; index++) {
      const report = outcome.report && index === 0;
      await runtime.stores.events.append({
        runId,
        timestamp: new Date(clock + index).toISOString(),
        eventType: report ? 'report' : 'metrics',
        level: 'info',
        message: report ? 'sent the 2026-W48 report to 2 recipient(s)' : `step ${index}`,
      });
    }
    return { executionArn: `${ARN}:${job}:${runId}`, startDate: new Date(clock) };
  });
  stepFunctions.on(DescribeExecutionCommand).callsFake(async (input: { executionArn: string }) => {
    const job = input.executionArn.split(':')[6] as JobName;
    return { status: jobs[job].execution, executionArn: input.executionArn, stateMachineArn: ARN, startDate: new Date(clock) };
  });
}

/** Each job's manual run a second after the one before, so every run has its own time. */
function nextInstant(): Date {
  clock += 1000;
  return new Date(clock);
}
const run = (send: boolean) => smokeTest(clients, 'CtoDashboardJobs', runtime.stores, { send, pollMs: 1, now: nextInstant });

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.close());

describe('cto-jobs smoke --aws', () => {
  const healthy = { execution: 'SUCCEEDED', run: 'completed', events: 3 } as const;

  it('passes a healthy deployment: each job run as a manual run, completed, with its events, and the report with --send', async () => {
    deploy({ daily: healthy, hourly: healthy, weekly: { ...healthy, report: true } });

    const results = await run(true);

    expect(results.map(({ passed }) => passed)).toEqual([true, true, true]);
    expect(results.map(({ line }) => line.replace(/#\S+/, '#<time>'))).toEqual([
      'daily: ok, daily_sync#<time> completed in 4.2 s, 3 event(s)',
      'hourly: ok, hourly_metrics#<time> completed in 4.2 s, 3 event(s)',
      'weekly: ok, weekly_report#<time> completed in 4.2 s, 3 event(s); sent the 2026-W48 report to 2 recipient(s)',
    ]);
    const requests = stepFunctions.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input!));
    expect(requests.map(({ jobType, trigger }) => `${jobType} ${trigger}`)).toEqual([
      'daily_sync manual',
      'hourly_metrics manual',
      'weekly_report manual',
    ]);
  });

  it('without --send never starts the weekly job (it would email the CTO), and says so', async () => {
    deploy({ daily: healthy, hourly: healthy, weekly: { ...healthy, report: true } });

    const results = await run(false);

    expect(results.map(({ passed }) => passed)).toEqual([true, true, true]);
    expect(results[2]!.line).toBe('weekly: not run (it emails the report; --send runs it)');
    const started = stepFunctions.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.stateMachineArn);
    expect(started).toEqual([`${ARN}:daily`, `${ARN}:hourly`]);
  });

  it('fails a broken deployment, naming what each job did not leave, and still runs the jobs after a failed one', async () => {
    deploy({
      daily: { execution: 'FAILED', run: 'failed', events: 1 },
      hourly: { execution: 'SUCCEEDED', events: 0 },
      weekly: { ...healthy, report: false },
    });

    const results = await run(true);

    expect(results.map(({ passed }) => passed)).toEqual([false, false, false]);
    expect(results.map(({ line }) => line.replace(/ \(arn:.*\)$/, ''))).toEqual([
      'daily: FAILED, execution FAILED, JobHistory row failed',
      'hourly: FAILED, no JobHistory row, no SyncEvents',
      'weekly: FAILED, no report event',
    ]);
  });

  it('fails a job whose state machine the stack does not have, and goes on with the others', async () => {
    deploy({ daily: healthy, hourly: healthy, weekly: healthy });
    stepFunctions.on(StartExecutionCommand, { stateMachineArn: `${ARN}:daily` }).rejects(new Error('State Machine Does Not Exist'));

    const results = await run(false);

    expect(results.map(({ passed }) => passed)).toEqual([false, true, true]);
    expect(results[0]!.line).toBe('daily: FAILED, could not run: State Machine Does Not Exist');
  });
});
