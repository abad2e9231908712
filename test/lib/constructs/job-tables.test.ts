import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { JobTables } from '../../../lib/constructs/job-tables.ts';

const stack = new Stack(new App(), 'Tables');
new JobTables(stack, 'Tables');
const template = Template.fromStack(stack);

describe('the Projects table', () => {
  it("finds a project by GitHub's repository id through a sparse, keys-only index on the Number repositoryId", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'projectId', KeyType: 'HASH' }],
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'repositoryId', AttributeType: 'N' }]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'byRepository',
          KeySchema: [
            { AttributeName: 'repositoryId', KeyType: 'HASH' },
            { AttributeName: 'projectId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
  });
});
