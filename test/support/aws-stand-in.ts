import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One API call the stand-in answered (or refused). */
export interface AwsCall {
  readonly service: 'sns' | 'secretsmanager';
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * A loopback stand-in for the two AWS APIs that have no local emulator here, reached the way a deployed
 * bundle reaches AWS (its own bundled SDK, through `AWS_ENDPOINT_URL_SNS` and
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`), so aws-sdk-client-mock in the test process could not intercept them.
 * It answers exactly two operations, in each service's wire protocol: SNS `Publish` (awsQuery: a form body,
 * an XML answer) and Secrets Manager `GetSecretValue` (awsJson1.1). Any other call is refused, so a bundle
 * that calls something else fails loudly instead of passing against a kind fake.
 */
export class AwsStandIn {
  readonly calls: AwsCall[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly secrets: Map<string, string>,
  ) {}

  /** @param secrets SecretString by secret name. */
  static async start(secrets: Readonly<Record<string, string>>): Promise<AwsStandIn> {
    let standIn: AwsStandIn | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => standIn!.handle(request, body, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new AwsStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, new Map(Object.entries(secrets)));
    return standIn;
  }

  /** Gives a secret a new value, as an operator's `put-secret-value` or a rotation does. */
  putSecret(name: string, value: string): void {
    this.secrets.set(name, value);
  }

  /** Removes a secret: reading it is refused with ResourceNotFoundException, as for a deleted secret. */
  deleteSecret(name: string): void {
    this.secrets.delete(name);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') this.secretsManager(target, body, response);
    else this.sns(body, response);
  }

  private sns(body: string, response: ServerResponse): void {
    const form = Object.fromEntries(new URLSearchParams(body));
    const action = form.Action ?? '';
    this.calls.push({ service: 'sns', action, params: form });
    if (action !== 'Publish') {
      return void response
        .writeHead(400, { 'content-type': 'text/xml' })
        .end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>' +
            `<Message>the stand-in answers only Publish, not ${action}</Message></Error>` +
            `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
    }
    response
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' +
          `<PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
  }

  private secretsManager(target: string, body: string, response: ServerResponse): void {
    const action = target.replace(/^secretsmanager\./, '');
    const params = JSON.parse(body || '{}') as { SecretId?: string };
    this.calls.push({ service: 'secretsmanager', action, params });
    const json = (status: number, payload: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (action !== 'GetSecretValue')
      return void json(400, { __type: 'UnknownOperationException', message: `the stand-in answers only GetSecretValue, not ${action}` });
    const value = this.secrets.get(params.SecretId ?? '');
    if (value === undefined)
      return void json(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    json(200, {
      ARN: `arn:aws:secretsmanager:local-1:000000000000:secret:${params.SecretId}-AbCdEf`,
      Name: params.SecretId,
      SecretString: value,
      VersionId: randomUUID(),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  }
}
