/**
 * A local SES endpoint (aws-ses-v2-local) on loopback: @aws-sdk/client-ses sends to it unchanged through
 * `AWS_ENDPOINT_URL_SES`, and every email it accepted can be read back. A thin front can answer the next
 * requests with an SES error instead (aws-ses-v2-local never refuses), as SES does for an unverified sender.
 */
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';

/** An email as aws-ses-v2-local stores it. */
export interface CapturedEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[]; readonly cc: readonly string[]; readonly bcc: readonly string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
  /** Epoch seconds. */
  readonly at: number;
}

export class LocalSes {
  private faults: { count: number; status: number; code: string; message: string; drop?: boolean } = {
    count: 0,
    status: 400,
    code: '',
    message: '',
  };

  private constructor(
    private readonly server: Server,
    private readonly front: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<LocalSes> {
    // The default export differs between plain Node ESM and vitest.
    const module = sesLocal as unknown as { default?: unknown };
    const start = (module.default ?? module) as (config: { host: string; port: number }) => Promise<Server>;
    const server = await start({ host: '127.0.0.1', port: 0 });
    const backend = (server.address() as AddressInfo).port;
    let ses: LocalSes | undefined;
    const front = createServer((incoming, outgoing) => {
      const fault = ses!.faults;
      if (incoming.method === 'POST' && incoming.url === '/' && fault.count > 0) {
        fault.count--;
        incoming.resume();
        if (fault.drop) {
          incoming.socket.destroy();
          return;
        }
        const type = fault.status < 500 ? 'Sender' : 'Receiver';
        outgoing
          .writeHead(fault.status, { 'content-type': 'text/xml' })
          .end(
            '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' +
              `<Error><Type>${type}</Type><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>` +
              '<RequestId>local</RequestId></ErrorResponse>',
          );
        return;
      }
      const proxied = forward(
        { host: '127.0.0.1', port: backend, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      proxied.on('error', () => outgoing.writeHead(502).end());
      incoming.pipe(proxied);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    ses = new LocalSes(server, front, `http://127.0.0.1:${(front.address() as AddressInfo).port}`);
    return ses;
  }

  /** Answers the next `count` sends with an SES error, e.g. `MessageRejected` (400) or `ServiceUnavailable` (503). */
  failNext(count: number, code = 'MessageRejected', status = 400, message = 'Email address is not verified.'): void {
    this.faults = { count, status, code, message };
  }

  /** Every email sent since the last clear, oldest first. */
  async emails(): Promise<CapturedEmail[]> {
    const response = await fetch(`${this.endpoint}/store`);
    return ((await response.json()) as { emails: CapturedEmail[] }).emails;
  }

  async clear(): Promise<void> {
    await fetch(`${this.endpoint}/clear-store`, { method: 'POST' });
  }

  /** Closes the connection of the next `count` sends without an answer, as a lost response would. */
  dropNext(count: number): void {
    this.faults = { count, status: 0, code: '', message: '', drop: true };
  }

  clearFaults(): void {
    this.faults = { ...this.faults, count: 0 };
  }

  async close(): Promise<void> {
    for (const server of [this.front, this.server]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
