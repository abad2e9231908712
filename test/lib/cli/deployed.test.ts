import { DescribeExecutionCommand, RedriveExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { redriveExecution, triggerJob } from '../../../lib/cli/deployed.ts';
import { useMockedDeployment } from '../../support/deployed-stack.ts';

const DAILY_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:DailyJobStateMachine';
const NOW = new Date('2026-11-28T10:15:30.123Z');
const { clients, stepFunctions } = useMockedDeployment({ DailyStateMachineArn: DAILY_ARN });

describe('triggerJob', () => {
  it('starts a manual execution with its own idempotency key and a valid execution name', async () => {
    stepFunctions.on(StartExecutionCommand).resolves({ executionArn: `${DAILY_ARN}:manual-1`, startDate: NOW });

    const result = await triggerJob(clients, 'CtoDashboardJobs', 'daily', { now: NOW, wait: false });

    const [call] = stepFunctions.commandCalls(StartExecutionCommand);
    const input = call!.args[0].input;
    expect(input.stateMachineArn).toBe(DAILY_ARN);
    expect(JSON.parse(input.input!)).toEqual({ jobType: 'daily_sync', trigger: 'manual', scheduledTime: '2026-11-28T10:15:30.123Z' });
    expect(input.name).toBe('manual-daily_sync-20261128101530123');
    expect(input.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(result.executionArn).toBe(`${DAILY_ARN}:manual-1`);
  });

  it('with --wait, polls until the execution ends and reports its status', async () => {
    stepFunctions.on(StartExecutionCommand).resolves({ executionArn: `${DAILY_ARN}:manual-1`, startDate: NOW });
    stepFunctions
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', executionArn: 'x', stateMachineArn: DAILY_ARN, startDate: NOW })
      .resolves({ status: 'FAILED', executionArn: 'x', stateMachineArn: DAILY_ARN, startDate: NOW });

    const result = await triggerJob(clients, 'CtoDashboardJobs', 'daily', { now: NOW, wait: true, pollMs: 1 });

    expect(result.status).toBe('FAILED');
    expect(stepFunctions.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
  });

  it('names the missing output when the deployed stack is an older version', async () => {
    await expect(triggerJob(clients, 'CtoDashboardJobs', 'weekly', { now: NOW, wait: false })).rejects.toThrow(
      'stack CtoDashboardJobs has no output WeeklyStateMachineArn',
    );
  });
});

describe('redriveExecution', () => {
  it('redrives the given execution', async () => {
    const redriveDate = new Date('2026-11-28T11:00:00Z');
    stepFunctions.on(RedriveExecutionCommand).resolves({ redriveDate });
    const executionArn = `${DAILY_ARN.replace(':stateMachine:', ':execution:')}:schedule-1`;

    expect(await redriveExecution(clients, executionArn)).toEqual({ redriveDate });
    expect(stepFunctions.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn });
  });
});
