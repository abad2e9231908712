/** The deployed stack, found through its CloudFormation outputs: trigger, redrive, and its tables. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, RedriveExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  executionNameOf,
  JOB_NAMES,
  type JobName,
  type JobRun,
  manualRunRequest,
  type RunRequest,
  runIdOf,
} from '../../shared/domain/job-run.ts';
import type { EngineStores } from '../../shared/engine/stores.ts';
import { AlertsStore } from '../../shared/store/alerts-store.ts';
import { JobHistoryStore } from '../../shared/store/job-history-store.ts';
import { ProjectsStore } from '../../shared/store/projects-store.ts';
import { SnapshotsStore } from '../../shared/store/snapshots-store.ts';
import { SyncEventsStore } from '../../shared/store/sync-events-store.ts';
import { WorkItemsStore } from '../../shared/store/work-items-store.ts';
import { STACK_OUTPUTS } from '../stack-outputs.ts';

export interface DeployedClients {
  readonly cloudFormation: CloudFormationClient;
  readonly stepFunctions: SFNClient;
  readonly dynamoDb: DynamoDBClient;
}

export function defaultClients(): DeployedClients {
  return { cloudFormation: new CloudFormationClient({}), stepFunctions: new SFNClient({}), dynamoDb: new DynamoDBClient({}) };
}

/** Reads the stack's outputs; fails naming the stack when it is not deployed. */
export async function stackOutputs(clients: DeployedClients, stackName: string): Promise<Record<string, string>> {
  const output = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = output.Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} is not deployed in this account and Region`);
  return Object.fromEntries((stack.Outputs ?? []).map((item) => [item.OutputKey!, item.OutputValue!]));
}

/** The tables the CLI reads and writes, deployed or local. */
export interface CliStores extends EngineStores {
  readonly projects: ProjectsStore;
  readonly snapshots: SnapshotsStore;
  readonly alerts: AlertsStore;
  readonly items: WorkItemsStore;
}

/** The deployed stack's tables. */
export async function deployedStores(
  clients: DeployedClients,
  stackName: string,
  retention: { readonly logDays: number; readonly jobHistoryDays: number },
): Promise<CliStores> {
  const outputs = await stackOutputs(clients, stackName);
  const documents = DynamoDBDocumentClient.from(clients.dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
  return {
    runs: new JobHistoryStore(documents, required(outputs, STACK_OUTPUTS.jobHistoryTable, stackName), retention.jobHistoryDays),
    events: new SyncEventsStore(documents, required(outputs, STACK_OUTPUTS.syncEventsTable, stackName), retention.logDays),
    projects: new ProjectsStore(documents, required(outputs, STACK_OUTPUTS.projectsTable, stackName)),
    snapshots: new SnapshotsStore(documents, required(outputs, STACK_OUTPUTS.snapshotsTable, stackName)),
    alerts: new AlertsStore(documents, required(outputs, STACK_OUTPUTS.alertsTable, stackName)),
    items: new WorkItemsStore(documents, required(outputs, STACK_OUTPUTS.workItemsTable, stackName)),
  };
}

export interface TriggerResult {
  readonly executionArn: string;
  readonly request: RunRequest;
  readonly status?: string;
  readonly run?: JobRun;
}

/**
 * Starts a manual run of a deployed job (trigger=manual, its own idempotency key). With `wait`, polls
 * until the execution ends and reads the run's JobHistory record.
 */
export async function triggerJob(
  clients: DeployedClients,
  stackName: string,
  job: JobName,
  options: { readonly now: Date; readonly wait: boolean; readonly pollMs?: number; readonly stores?: EngineStores },
): Promise<TriggerResult> {
  const outputs = await stackOutputs(clients, stackName);
  const stateMachineArn = required(outputs, STACK_OUTPUTS.stateMachine(job), stackName);
  const request = manualRunRequest(JOB_NAMES[job], options.now);
  const started = await clients.stepFunctions.send(
    new StartExecutionCommand({ stateMachineArn, name: executionNameOf(request), input: JSON.stringify(request) }),
  );
  const executionArn = started.executionArn!;
  if (!options.wait) return { executionArn, request };
  let status = 'RUNNING';
  while (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5000));
    status = (await clients.stepFunctions.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
  }
  return { executionArn, request, status, run: await options.stores?.runs.get(runIdOf(request)) };
}

/** Redrives a failed, timed-out or aborted execution from its failed step. */
export async function redriveExecution(clients: DeployedClients, executionArn: string): Promise<{ redriveDate?: Date }> {
  const output = await clients.stepFunctions.send(new RedriveExecutionCommand({ executionArn }));
  return { redriveDate: output.redriveDate };
}

function required(outputs: Record<string, string>, key: string, stackName: string): string {
  const value = outputs[key];
  if (!value) throw new Error(`stack ${stackName} has no output ${key}; deploy this version of the stack first`);
  return value;
}
