import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Slack incoming webhook: answers `ok` as Slack does, or fails with 500 a given number of
 * times, or stays down; records every payload it received.
 */
export class SlackWebhook {
  readonly received: { text: string; blocks: unknown[] }[] = [];
  requests = 0;
  private failuresLeft = 0;
  private failureStatus = 500;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<SlackWebhook> {
    let webhook: SlackWebhook | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => webhook!.handle(body, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhook = new SlackWebhook(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`);
    return webhook;
  }

  /** The next `count` requests fail with `status` (Infinity: down until reset). */
  failNext(count: number, status = 500): void {
    this.failuresLeft = count;
    this.failureStatus = status;
  }

  reset(): void {
    this.failuresLeft = 0;
    this.requests = 0;
    this.received.length = 0;
  }

  private handle(body: string, response: import('node:http').ServerResponse) {
    this.requests++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      response
        .writeHead(this.failureStatus, { 'content-type': 'text/plain' })
        .end(this.failureStatus === 404 ? 'no_service' : 'internal_error');
      return;
    }
    this.received.push(JSON.parse(body) as { text: string; blocks: unknown[] });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
