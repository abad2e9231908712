import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RECOVERABLE_ERROR_NAMES } from '../../shared/errors.ts';

/** Lambda's own transient errors (AWS's recommended retrier, plus throttling, which CDK's default omits). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/** Adds the transient-error retrier: 3 attempts in all, exponential backoff with full jitter. */
export function retryTransient<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({
    errors: [...LAMBDA_TRANSIENT_ERRORS, ...RECOVERABLE_ERROR_NAMES],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 2,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
