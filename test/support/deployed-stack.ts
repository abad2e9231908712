import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import type { DeployedClients } from '../../lib/cli/deployed.ts';

/**
 * The deployed-stack clients of the calling test file (call once, at its top level). Step Functions and CloudFormation
 * have no local stand-in, so both are mocked at the SDK boundary; before each test the mocks are reset and the stack
 * `CtoDashboardJobs` is described as deployed with `outputs` (OutputKey to OutputValue).
 */
export function useMockedDeployment(outputs: Readonly<Record<string, string>>) {
  const cloudFormation = mockClient(CloudFormationClient);
  const stepFunctions = mockClient(SFNClient);
  const clients: DeployedClients = {
    cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
    stepFunctions: new SFNClient({ region: 'eu-west-1' }),
    dynamoDb: new DynamoDBClient({ region: 'eu-west-1' }),
  };
  beforeEach(() => {
    cloudFormation.reset();
    stepFunctions.reset();
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'CtoDashboardJobs',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
  });
  return { clients, stepFunctions };
}
