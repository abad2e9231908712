import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigateway from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlertRules } from '../../shared/domain/alerts.ts';
import type { BugRules } from '../../shared/domain/bugs.ts';
import { ENV } from '../../shared/environment.ts';
import { WEBHOOK_DELIVERIES_KEY } from '../../shared/store/table-schemas.ts';
import { MAX_QUEUED_BYTES } from '../../shared/webhooks/deliveries.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { acknowledgeNag } from '../acknowledge.ts';
import { JobFunction } from './job-function.ts';
import type { JobTables } from './job-tables.ts';

export interface WebhookIngestProps {
  readonly tables: Pick<JobTables, 'projects' | 'workItems' | 'syncEvents'>;
  /** Secrets Manager secret holding the webhook secret. */
  readonly secretName: string;
  /** Requests a second the endpoint takes (stage throttling); GitHub is answered 429 above it. */
  readonly rateLimitPerSecond: number;
  readonly burstLimit: number;
  /** Days a delivery's GUID is remembered. */
  readonly deliveryRetentionDays: number;
  readonly bugRules: BugRules;
  /** The severities that page: the hourly aggregates the consumer rebuilds count by them. */
  readonly alertRules: AlertRules;
  /** Days the consumer's SyncEvents (a project deactivated by a `repository` event) are kept: `retention.logDays`. */
  readonly logRetentionDays: number;
}

/** Deliveries SQS hands the consumer before one that keeps failing goes to the dead-letter queue. */
const MAX_RECEIVES = 5;
const CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * Signed GitHub webhooks in (issue 15): an HTTPS endpoint whose function verifies each delivery, records its GUID
 * (WebhookDeliveries, TTL) and sends it to an SQS queue (with a dead-letter queue) that feeds the consumer, which
 * applies issues and pull requests with the sync's `updated_at` guard, and renamed or deleted labels, to WorkItems,
 * and repository events (renamed, transferred, archived, deleted) to the projects.
 *
 * The endpoint is an API Gateway HTTP API rather than a Lambda function URL: its stage throttling is a rate limit
 * in front of the function (a function URL has none but the function's concurrency), and it writes access logs.
 * Neither can have a WAF web ACL (WAF protects REST APIs, CloudFront and ALBs, not HTTP APIs or function URLs);
 * the rate limit, the 10 s function timeout and the signature checked before anything else stand in for one.
 */
export class WebhookIngest extends Construct {
  /** The URL to register on GitHub as the webhook's payload URL. */
  readonly url: string;
  readonly deadLetterQueue: sqs.Queue;
  /** WebhookDeliveries: the GUIDs received, and the hourly job's markers of the redeliveries it asked for. */
  readonly deliveries: dynamodb.Table;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    this.deliveries = new dynamodb.Table(this, 'Deliveries', {
      partitionKey: { name: WEBHOOK_DELIVERIES_KEY.partitionKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Delivery GUIDs that expire within days: nothing to keep once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const { deliveries } = this;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(this.deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the webhook deliveries');
    const queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the consumer's timeout, as Lambda advises for an SQS event source.
      visibilityTimeout: Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6),
      // The endpoint refuses a delivery whose queued form is larger, with a log, rather than fail on SendMessage.
      maxMessageSizeBytes: MAX_QUEUED_BYTES,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });

    const receive = new JobFunction(this, 'ReceiveDelivery', {
      entry: 'lambdas/webhooks/receive-delivery.ts',
      description: "Verifies GitHub's webhook deliveries, queues the accepted ones and records each GUID queued",
      // GitHub counts a delivery not answered within 10 s as failed.
      timeout: Duration.seconds(10),
      environment: {
        [WEBHOOK_ENV.secretName]: props.secretName,
        [WEBHOOK_ENV.deliveryRetentionDays]: String(props.deliveryRetentionDays),
        [WEBHOOK_ENV.deliveriesQueueUrl]: queue.queueUrl,
      },
    }).bindTable(deliveries, ['GetItem', 'PutItem'], WEBHOOK_ENV.deliveriesTable);
    secretsmanager.Secret.fromSecretNameV2(this, 'WebhookSecret', props.secretName).grantRead(receive);
    queue.grantSendMessages(receive);

    const apply = new JobFunction(this, 'ApplyDeliveries', {
      entry: 'lambdas/webhooks/apply-deliveries.ts',
      description: 'Applies queued webhook deliveries (issues, pull requests, labels, repositories) to WorkItems and projects',
      timeout: CONSUMER_TIMEOUT,
      environment: {
        [ENV.bugRules]: JSON.stringify(props.bugRules),
        [ENV.alertRules]: JSON.stringify(props.alertRules),
        [ENV.logRetentionDays]: String(props.logRetentionDays),
      },
    })
      // GetItem: a delivery's project; Query: its id by repository id (index byRepository), the active projects a
      // repository event's project is found among (index active);
      // UpdateItem: the last webhook confirmation, a rename followed, a project deactivated.
      .bindTable(props.tables.projects, ['GetItem', 'Query', 'UpdateItem'], ENV.projectsTable)
      .bindTable(props.tables.workItems, ['Query', 'PutItem', 'UpdateItem'], ENV.workItemsTable)
      .bindTable(props.tables.syncEvents, ['PutItem'], ENV.syncEventsTable);
    apply.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));

    const api = new apigateway.HttpApi(this, 'Api', {
      description: 'GitHub webhook deliveries',
      createDefaultStage: false,
    });
    const route = api.addRoutes({
      path: '/github',
      methods: [apigateway.HttpMethod.POST],
      integration: new HttpLambdaIntegration('ReceiveDelivery', receive),
    })[0]!;
    acknowledgeNag(
      route,
      'APIG4',
      "GitHub cannot send IAM, JWT or Lambda-authorizer credentials: each delivery's HMAC signature is its authorization, checked first",
    );
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimitPerSecond, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigateway.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = `${stage.url}github`;
  }
}
