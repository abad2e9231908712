import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readCdkContext } from '../../../lib/local/runtime.ts';
import { PROJECT_ROOT } from '../../../lib/project.ts';
import { buildTestApp } from '../../support/synth.ts';

const baseConfig = readCdkContext(PROJECT_ROOT).ctoJobs as Record<string, unknown>;
const hooks = [
  { repository: 'acme/api', id: 21 },
  { org: 'acme', id: 22 },
];
const { app, stack } = buildTestApp({ ctoJobs: { ...baseConfig, webhooks: { hooks } } });
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const hourlyDefinition = () => {
  const machine = Object.entries(resources).find(
    ([id, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith('HourlyMetrics'),
  )![1];
  const text = JSON.stringify(machine.Properties.DefinitionString);
  return text;
};
const redeliverFunction = () =>
  Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.includes('RedeliverFailedWebhooks'))!;

describe('the hourly job with webhooks.hooks', () => {
  it('redelivers before Compute Hourly Metrics, a failure caught into it', () => {
    const definition = hourlyDefinition();
    expect(definition).toContain('Redeliver Failed Webhooks');
    expect(definition).toMatch(/Redeliver Failed Webhooks.*Catch.*States\.ALL.*redeliveryError.*Compute Hourly Metrics/);
  });

  it('gives the function the hooks, WebhookDeliveries for PutItem and DeleteItem, Projects for Query and UpdateItem, only', () => {
    const [id, fn] = redeliverFunction();
    expect(JSON.stringify(fn.Properties.Environment)).toContain('WEBHOOK_HOOKS');
    expect(JSON.stringify(fn.Properties.Environment)).toContain('PROJECTS_TABLE');
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const statements = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(roleId))
      .flatMap(
        (resource) => (resource.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      );
    const dynamoActionsOn = (table: string) =>
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(table))
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => action.startsWith('dynamodb:'))
        .sort();
    const dynamoActions = statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('dynamodb:'));
    expect(dynamoActionsOn('WebhooksDeliveries')).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
    // The active projects are listed, and a hook with nothing outstanding confirms those it covers.
    expect(dynamoActionsOn('TablesProjects')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(dynamoActions).toHaveLength(4);
    expect(statements.flatMap((statement) => [statement.Action].flat())).toContain('secretsmanager:GetSecretValue');
    expect(id).toMatch(/^HourlyMetrics/);
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions')!.violations).toEqual([]);
  });
});
