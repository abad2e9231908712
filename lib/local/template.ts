/**
 * Reads what the local runtime needs out of the synthesized CloudFormation template: each job's state
 * machine definition, each function's handler file and environment, the tables, and the reconciler
 * rule. Intrinsic functions are resolved to local names (a resource's logical id is its local name).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobType } from '../../shared/domain/job-run.ts';
import { HANDLER_METADATA_KEY, STACK_ID } from '../project.ts';
import { cachedTemplate } from './template-cache.ts';

export const LOCAL_REGION = 'local-1';
export const LOCAL_ACCOUNT = '000000000000';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface LocalFunction {
  readonly logicalId: string;
  readonly arn: string;
  /** Handler source file, relative to the project root. */
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly arn: string;
  readonly jobType: JobType;
  readonly definition: Record<string, unknown>;
}

export interface LocalTable {
  readonly logicalId: string;
  readonly properties: Record<string, Json>;
}

/** The EventBridge rule that routes execution status changes to the reconciler. */
export interface LocalStatusRule {
  readonly statuses: readonly string[];
  readonly stateMachineArns: readonly string[];
  readonly target: LocalFunction;
}

export interface LocalStack {
  readonly stateMachines: ReadonlyMap<JobType, LocalStateMachine>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly tables: readonly LocalTable[];
  readonly statusRules: readonly LocalStatusRule[];
}

/**
 * The stack's template, synthesized in-process (asset bundling skipped: the local runtime runs the sources)
 * with the same validation, cdk-nag included, as `cdk synth`, or kept from an earlier synthesis of the same
 * sources and context (see template-cache.ts). The CDK is loaded only to synthesize.
 * @param context CDK context, as in cdk.json.
 */
export async function synthesizeTemplate(context: Record<string, unknown>, now: Date): Promise<CfnTemplate> {
  return cachedTemplate(context, now, async () => {
    const { buildApp } = await import('../app.ts');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-jobs-synth-'));
    try {
      const { app } = buildApp({ outdir, now, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
      return app.synth().getStackByName(STACK_ID).template as CfnTemplate;
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
}

/** Extracts the state machines, functions, tables and rules from a synthesized template. */
export function readLocalStack(template: CfnTemplate): LocalStack {
  const resources = template.Resources;
  const resolve = (value: Json): Json => resolveIntrinsics(value, resources);

  const functions = new Map<string, LocalFunction>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const entry = resource.Metadata?.[HANDLER_METADATA_KEY];
    if (typeof entry !== 'string') throw new Error(`function ${logicalId} has no ${HANDLER_METADATA_KEY} metadata`);
    const variables = (resolve(resource.Properties?.Environment ?? {}) as { Variables?: Record<string, string> }).Variables;
    functions.set(logicalId, { logicalId, arn: arnOf(logicalId, resource.Type), entry, environment: variables ?? {} });
  }

  const stateMachines = new Map<JobType, LocalStateMachine>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const target = resource.Properties!.Target as { Arn: { Ref: string }; Input: string };
    const logicalId = target.Arn.Ref;
    const machine = resources[logicalId]!;
    const definition = JSON.parse(resolve(machine.Properties!.DefinitionString!) as string) as Record<string, unknown>;
    const { jobType } = JSON.parse(target.Input) as { jobType: JobType };
    stateMachines.set(jobType, { logicalId, arn: arnOf(logicalId, machine.Type), jobType, definition });
  }

  const statusRules: LocalStatusRule[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const pattern = resolve(resource.Properties!.EventPattern!) as {
      'detail-type'?: string[];
      detail?: { status?: string[]; stateMachineArn?: string[] };
    };
    if (!pattern['detail-type']?.includes('Step Functions Execution Status Change')) continue;
    for (const target of resolve(resource.Properties!.Targets!) as { Arn: string }[]) {
      const fn = [...functions.values()].find((candidate) => candidate.arn === target.Arn);
      if (!fn) continue;
      statusRules.push({ statuses: pattern.detail?.status ?? [], stateMachineArns: pattern.detail?.stateMachineArn ?? [], target: fn });
    }
  }

  const tables = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, resource]) => ({ logicalId, properties: resource.Properties ?? {} }));

  return { stateMachines, functions, tables, statusRules };
}

/** The function a Lambda task's resolved `FunctionName` (an ARN, a name, or a name:qualifier) refers to. */
export function functionOf(stack: LocalStack, functionName: string): LocalFunction | undefined {
  const name = functionName.startsWith('arn:') ? functionName.split(':')[6] : functionName.split(':')[0];
  return stack.functions.get(name ?? '');
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': STACK_ID,
};

function resolveIntrinsics(value: Json, resources: Record<string, CfnResource>): Json {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resources));
  if (value === null || typeof value !== 'object') return value;
  if ('Ref' in value) {
    const name = value.Ref as string;
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name]!;
    const resource = resources[name];
    if (!resource) throw new Error(`unresolvable Ref ${name}`);
    return resource.Type === 'AWS::StepFunctions::StateMachine' ? arnOf(name, resource.Type) : name;
  }
  if ('Fn::GetAtt' in value) {
    const [name, attribute] = value['Fn::GetAtt'] as [string, string];
    const resource = resources[name];
    if (!resource) throw new Error(`unresolvable Fn::GetAtt ${name}.${attribute}`);
    return attribute === 'Arn' ? arnOf(name, resource.Type) : `${name}.${attribute}`;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((part) => resolveIntrinsics(part, resources)).join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveIntrinsics(item, resources)]));
}

function arnOf(logicalId: string, type: string): string {
  const prefix = (service: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `${prefix('lambda')}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `${prefix('states')}:stateMachine:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return `${prefix('dynamodb')}:table/${logicalId}`;
    case 'AWS::SQS::Queue':
      return `${prefix('sqs')}:${logicalId}`;
    default:
      return `${prefix(type.split('::')[1]!.toLowerCase())}:${logicalId}`;
  }
}
