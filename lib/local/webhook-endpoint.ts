/**
 * The stack's HTTP API on loopback: each route of the template (`POST /github`) invokes its function's handler with
 * the event API Gateway's HTTP API hands it (payload format 2.0) and answers with what the handler returns, so the
 * local webhook endpoint verifies, records and queues deliveries with the deployed code and gives the same answers
 * (401 for a missing or wrong signature, 202 once queued). It refuses what the deployed path cannot carry, as AWS
 * does: a body over the HTTP API's 10 MB payload quota is answered 413, and an event over Lambda's 6 MB synchronous
 * invocation payload never reaches the function. A route's handler that throws, or that Lambda would not invoke, is
 * answered 500 `Internal Server Error`, as API Gateway answers a failed integration.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type InvokeConsumer, type LocalQueueDefinition, readBody, SQS_DEFAULT_MAX_MESSAGE_BYTES } from './local-queue.ts';
import { type CfnTemplate, LOCAL_ACCOUNT, type LocalFunction, type LocalStack } from './template.ts';

/** An HTTP API route of the template, and the function its integration invokes. */
export interface LocalRoute {
  /** `POST /github`. */
  readonly routeKey: string;
  readonly function: LocalFunction;
}

/** The template's HTTP API routes and SQS queues (with their consumers): what the webhook path needs locally. */
export interface LocalWebhookWiring {
  readonly routes: readonly LocalRoute[];
  readonly queues: readonly LocalQueueDefinition[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The logical id a `Ref` or `Fn::GetAtt` inside `value` names (a route's target is a `Fn::Join` around a `Ref`). */
function logicalIdIn(value: Json | undefined): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map(logicalIdIn).find((id) => id !== undefined);
  if (typeof value.Ref === 'string') return value.Ref;
  const attribute = value['Fn::GetAtt'];
  if (Array.isArray(attribute) && typeof attribute[0] === 'string') return attribute[0];
  return Object.values(value)
    .map(logicalIdIn)
    .find((id) => id !== undefined);
}

/** Reads the HTTP API routes, the queues and the queues' event source mappings out of the synthesized template. */
export function readWebhookWiring(template: CfnTemplate, stack: LocalStack): LocalWebhookWiring {
  const resources = Object.entries(template.Resources) as [string, { Type: string; Properties?: Record<string, Json> }][];
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
  const functionNamed = (logicalId: string | undefined) => {
    const found = logicalId === undefined ? undefined : stack.functions.get(logicalId);
    if (!found) throw new Error(`the template refers to a function ${logicalId} it does not define`);
    return found;
  };

  const integrations = new Map(ofType('AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, logicalIdIn(r.Properties?.IntegrationUri)]));
  const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => ({
    routeKey: String(route.Properties?.RouteKey),
    function: functionNamed(integrations.get(logicalIdIn(route.Properties?.Target) ?? '')),
  }));

  const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties ?? {});
  const queues = ofType('AWS::SQS::Queue').map(([logicalId, queue]): LocalQueueDefinition => {
    const properties = queue.Properties ?? {};
    const redrive = properties.RedrivePolicy as { deadLetterTargetArn?: Json; maxReceiveCount?: number } | undefined;
    const mapping = mappings.find((candidate) => logicalIdIn(candidate.EventSourceArn) === logicalId);
    const consumer = mapping && functionNamed(logicalIdIn(mapping.FunctionName));
    return {
      logicalId,
      maxMessageBytes: Number(properties.MaximumMessageSize ?? SQS_DEFAULT_MAX_MESSAGE_BYTES),
      ...(redrive
        ? { redrive: { deadLetterQueue: logicalIdIn(redrive.deadLetterTargetArn)!, maxReceiveCount: Number(redrive.maxReceiveCount) } }
        : {}),
      ...(mapping && consumer
        ? {
            consumer: {
              entry: consumer.entry,
              logicalId: consumer.logicalId,
              // Lambda's default batch size for SQS.
              batchSize: Number(mapping.BatchSize ?? 10),
              reportsFailures: ((mapping.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
            },
          }
        : {}),
    };
  });
  return { routes, queues };
}

export class LocalHttpApi {
  private constructor(
    private readonly server: Server,
    /** The API's base URL; a route's URL is this and its path. */
    readonly url: string,
  ) {}

  static async start(routes: readonly LocalRoute[], invoke: InvokeConsumer): Promise<LocalHttpApi> {
    const server = createServer((request, response) => {
      void answer(routes, invoke, request).then(
        (reply) => send(response, reply),
        () => send(response, INTERNAL_SERVER_ERROR),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new LocalHttpApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The HTTP API's payload quota, 10 MB (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html,
 * not adjustable): a larger request body is answered 413 before any integration runs.
 */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Lambda's synchronous invocation payload quota, 6 MB (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
 * the whole event as JSON (headers, escaped or base64-encoded body) must fit, so a body well under 6 MB can miss it.
 * Lambda refuses a larger one (RequestEntityTooLargeException) and the HTTP API answers as for any failed integration.
 */
export const LAMBDA_MAX_EVENT_BYTES = 6 * 1024 * 1024;

const REQUEST_TOO_LARGE = { statusCode: 413, body: JSON.stringify({ message: 'Request Entity Too Large' }) };
const INTERNAL_SERVER_ERROR = { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) };

/** What AWS answers instead of invoking the function, for a body or event the deployed path cannot carry; else undefined. */
export function refusalByAws(bodyBytes: number, event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 | undefined {
  if (bodyBytes > HTTP_API_MAX_BODY_BYTES) return REQUEST_TOO_LARGE;
  if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_MAX_EVENT_BYTES) return INTERNAL_SERVER_ERROR;
  return undefined;
}

/** Content types API Gateway passes as text; any other body is base64-encoded (isBase64Encoded). */
const TEXT_CONTENT = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

async function answer(routes: readonly LocalRoute[], invoke: InvokeConsumer, request: IncomingMessage) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const routeKey = `${request.method} ${url.pathname}`;
  const route = routes.find((candidate) => candidate.routeKey === routeKey);
  if (!route) return { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) };
  const body = await readBody(request);
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]),
  );
  const text = TEXT_CONTENT.test(headers['content-type'] ?? '');
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'POST',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
  };
  const refused = refusalByAws(body.length, event);
  return refused ?? ((await invoke(route.function.entry, route.function.logicalId, event)) as APIGatewayProxyStructuredResultV2);
}

function send(response: ServerResponse, reply: APIGatewayProxyStructuredResultV2): void {
  const headers = { 'content-type': 'application/json', ...(reply.headers as Record<string, string> | undefined) };
  response.writeHead(reply.statusCode ?? 200, headers).end(reply.body ?? '');
}
