/**
 * A local SES endpoint (aws-ses-v2-local) on loopback: @aws-sdk/client-ses sends to it unchanged through
 * `AWS_ENDPOINT_URL_SES`, and every email it accepted can be read back.
 */
import type { Server } from 'node:http';
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
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<LocalSes> {
    // The default export differs between plain Node ESM and vitest.
    const module = sesLocal as unknown as { default?: unknown };
    const start = (module.default ?? module) as (config: { host: string; port: number }) => Promise<Server>;
    const server = await start({ host: '127.0.0.1', port: 0 });
    return new LocalSes(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Every email sent since the last clear, oldest first. */
  async emails(): Promise<CapturedEmail[]> {
    const response = await fetch(`${this.endpoint}/store`);
    return ((await response.json()) as { emails: CapturedEmail[] }).emails;
  }

  async clear(): Promise<void> {
    await fetch(`${this.endpoint}/clear-store`, { method: 'POST' });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
