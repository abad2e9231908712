/**
 * The one X-Ray tracer. Every SDK client goes through `tracer.captureAWSv3Client`, so a trace shows each
 * DynamoDB, SES, SNS and Secrets Manager call as a subsegment. Tracing is on only inside Lambda
 * (`AWS_EXECUTION_ENV` set, `POWERTOOLS_TRACE_ENABLED` not "false"): local runs and tests never reach X-Ray.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metrics.ts';

export const tracer = new Tracer({ serviceName: SERVICE_NAME });
