import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RECOVERABLE_ERROR_NAMES } from '../../shared/errors.ts';

/** Lambda's own transient errors (AWS's recommended retrier, plus throttling, which CDK's default omits). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/** Room beyond the function's own timeout, so the function times out (with its own error) before the task does. */
const TASK_TIMEOUT_MARGIN = Duration.seconds(30);

/** A catch of any error that keeps it at `$.error` for the state it leads to (e.g. Record Failure). */
export const ANY_ERROR: sfn.CatchProps = { errors: [sfn.Errors.ALL], resultPath: '$.error' };

export interface InvokeTaskProps {
  /** The function's event; JSONPath values through `sfn.JsonPath`. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** @default the function's timeout plus 30 seconds */
  readonly timeout?: Duration;
  /** @default the whole invocation result (`Payload`, `StatusCode`...) */
  readonly resultSelector?: Readonly<Record<string, unknown>>;
  /** @default '$' (the result replaces the state's input) */
  readonly resultPath?: string;
  /** @default '$' */
  readonly outputPath?: string;
}

/**
 * A Lambda task with the project's defaults: the payload as given, no CDK default retrier (its
 * Lambda.ServiceException list lacks throttling), an explicit task timeout, and the transient-error
 * retrier (3 attempts in all, exponential backoff with full jitter) on Lambda's transient errors and
 * the project's recoverable ones.
 * @throws Error when neither the props nor the function give a timeout.
 */
export function invokeTask(scope: Construct, stateName: string, fn: lambda.Function, props: InvokeTaskProps): tasks.LambdaInvoke {
  const timeout = props.timeout ?? fn.timeout?.plus(TASK_TIMEOUT_MARGIN);
  if (!timeout) throw new Error(`${stateName}: ${fn.node.path} has no timeout to derive the task's timeout from`);
  const task = new tasks.LambdaInvoke(scope, stateName, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(props.payload),
    resultSelector: props.resultSelector,
    resultPath: props.resultPath,
    outputPath: props.outputPath,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(timeout),
  });
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
