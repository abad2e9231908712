import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { WEBHOOK_ENV } from '../../../shared/webhooks/environment.ts';
import { buildTestApp } from '../../support/synth.ts';

const baseConfig = readCdkContext(PROJECT_ROOT).ctoJobs as Record<string, unknown>;
const { app, stack } = buildTestApp({
  ctoJobs: { ...baseConfig, webhooks: { secretName: 'acme/webhook-secret', rateLimitPerSecond: 20, burstLimit: 40 } },
});
const template = Template.fromStack(stack);
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const functionOf = (entry: string) =>
  Object.entries(resources).find(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function' && JSON.stringify(resource).includes(entry),
  ) as [string, Resource & { Metadata?: unknown }];
type Statement = { Action: string | string[]; Resource: unknown };
const statementsOf = (functionId: string) => {
  const roleId = (resources[functionId]!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(roleId!))
    .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};
const policyOf = (functionId: string) => statementsOf(functionId).flatMap((statement) => [statement.Action].flat());
const deliveriesQueueId = () =>
  Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::SQS::Queue' && /^WebhooksQueue[0-9A-F]{8}$/.test(id))![0];

describe('WebhookIngest', () => {
  it('is absent unless webhooks are configured, and adds its two queues but no topic and no KMS key', () => {
    const without = Template.fromStack(buildTestApp().stack);
    without.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    const count = (built: Template, type: string) => Object.keys(built.findResources(type)).length;
    expect(count(template, 'AWS::SQS::Queue') - count(without, 'AWS::SQS::Queue')).toBe(2);
    for (const type of ['AWS::SNS::Topic', 'AWS::SNS::Subscription', 'AWS::KMS::Key']) {
      expect(count(template, type) - count(without, type), type).toBe(0);
    }
  });

  it("pages on-call through the stack's dead-letters alarm when a delivery lands in the dead-letter queue", () => {
    const [deadLetterQueueId] = Object.entries(resources).find(
      ([id, resource]) => resource.Type === 'AWS::SQS::Queue' && id.startsWith('WebhooksDeadLetterQueue'),
    )!;
    const alarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.some((alarm) => JSON.stringify(alarm).includes(deadLetterQueueId))).toBe(true);
  });

  it('serves POST /github on an HTTP API whose stage throttles to the configured rate and logs each request', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /github', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template.hasOutput('WebhookUrl', {});
  });

  it("answers within GitHub's 10 s: the endpoint's function times out at 10 s", () => {
    const [, receive] = functionOf('lambdas/webhooks/receive-delivery.ts');
    expect(receive.Properties.Timeout).toBe(10);
    const environment = (receive.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(environment[WEBHOOK_ENV.secretName]).toBe('acme/webhook-secret');
    expect(environment[WEBHOOK_ENV.deliveryRetentionDays]).toBe('4');
    expect(environment).not.toHaveProperty(WEBHOOK_ENV.secret);
    expect(environment[WEBHOOK_ENV.deliveriesQueueUrl]).toEqual({ Ref: deliveriesQueueId() });
  });

  it('lets the endpoint read and record GUIDs, read the secret and send to the queue alone, and nothing on the work items', () => {
    const [receiveId] = functionOf('lambdas/webhooks/receive-delivery.ts');
    const actions = policyOf(receiveId);
    expect(actions.some((action) => action.startsWith('secretsmanager:GetSecretValue'))).toBe(true);
    // Queued first, recorded after: nothing is ever released, so no DeleteItem.
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actions.filter((action) => /^(sqs|sns|kms):/.test(action))).toEqual([
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
    ]);
    const sendStatements = statementsOf(receiveId).filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(sendStatements.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [deliveriesQueueId(), 'Arn'] }]);
  });

  it('feeds the consumer from a queue with a dead-letter queue, reporting partial batch failures', () => {
    const [applyId] = functionOf('lambdas/webhooks/apply-deliveries.ts');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: applyId },
      EventSourceArn: { 'Fn::GetAtt': [deliveriesQueueId(), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resources[deliveriesQueueId()]!.Properties).toMatchObject({
      VisibilityTimeout: 180,
      // The endpoint refuses a delivery whose queued form is larger (MAX_QUEUED_BYTES).
      MaximumMessageSize: 262_144,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^WebhooksDeadLetterQueue/), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    const tableActions = (table: string) =>
      statementsOf(applyId)
        .filter((statement) => new RegExp(`"Tables${table}[0-9A-F]{8}"`).test(JSON.stringify(statement.Resource)))
        .flatMap((statement) => [statement.Action].flat());
    // The per-project hourly aggregate's writer count (WorkItems item 0) is begun and ended around each write (UpdateItem).
    expect(tableActions('WorkItems')).toEqual(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // A delivery's project; the active projects a repository event's project is found among; a confirmation, a rename
    // followed or a project deactivated.
    expect(tableActions('Projects')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    // A delivery's project is found by repository id through the Projects index byRepository.
    const projectsResources = statementsOf(applyId)
      .filter((statement) => /"TablesProjects[0-9A-F]{8}"/.test(JSON.stringify(statement.Resource)))
      .flatMap((statement) => [statement.Resource].flat());
    expect(projectsResources).toContainEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^TablesProjects/), 'Arn'] }, '/index/*']],
    });
    // A project deactivated by a repository event says so.
    expect(tableActions('SyncEvents')).toEqual(['dynamodb:PutItem']);
  });

  it('remembers delivery GUIDs in a table of their own that expires them', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'deliveryId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('reports no unacknowledged cdk-nag finding, each acknowledgement on its resource with a reason', () => {
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: unknown[];
        suppressedViolations: { ruleName: string; reason: string; acknowledgedAt: string }[];
      }[];
    };
    const nag = report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions')!;
    expect(nag.violations).toEqual([]);
    const webhookAcknowledgements = nag.suppressedViolations.filter((suppressed) => suppressed.acknowledgedAt.includes('Webhooks'));
    expect(webhookAcknowledgements.length).toBeGreaterThan(0);
    for (const suppressed of webhookAcknowledgements) expect(suppressed.reason.length).toBeGreaterThan(20);
  });
});
