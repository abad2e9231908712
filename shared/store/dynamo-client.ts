/**
 * One DynamoDB document client per Lambda container (created at module load, reused by every
 * invocation), traced by X-Ray. The endpoint comes from the SDK's own settings, so
 * `AWS_ENDPOINT_URL_DYNAMODB` points it at the embedded DynamoDB locally.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../tracer.ts';

export const documentClient = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});

/** Whether an error is DynamoDB's answer to a failed condition. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
