import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requireEnv, requirePositiveInt } from '../../shared/environment.ts';
import { lambdaHandler } from '../../shared/handler.ts';
import { jobMetrics, METRIC_NAMES } from '../../shared/metrics.ts';
import { cachedSecret } from '../../shared/secret.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { WebhookDeliveriesStore } from '../../shared/store/webhook-deliveries-store.ts';
import { tracer } from '../../shared/tracer.ts';
import { sqsDeliveryQueue } from '../../shared/webhooks/delivery-queue.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { type Refusal, receiveDelivery } from '../../shared/webhooks/receive-delivery.ts';

const metrics = jobMetrics();
const deps = {
  secret: cachedSecret('webhook secret', WEBHOOK_ENV.secret, WEBHOOK_ENV.secretName),
  deliveries: new WebhookDeliveriesStore(
    documentClient,
    requireEnv(WEBHOOK_ENV.deliveriesTable),
    requirePositiveInt(WEBHOOK_ENV.deliveryRetentionDays),
  ),
  queue: sqsDeliveryQueue(tracer.captureAWSv3Client(new SQSClient({})), requireEnv(WEBHOOK_ENV.deliveriesQueueUrl)),
  countRefusal: (refusal: Refusal) => {
    metrics.addDimension('Reason', refusal);
    metrics.addMetric(METRIC_NAMES.webhookDeliveriesRefused, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  },
};

/** The webhook endpoint (API Gateway HTTP API, payload format 2.0): verifies, records and queues GitHub's deliveries. */
export const handler = lambdaHandler(async (event: APIGatewayProxyEventV2) => receiveDelivery(deps, event));
