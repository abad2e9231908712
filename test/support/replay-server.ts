import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One nock-style recording from @octokit/fixtures. */
export interface Recording {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly response: unknown;
  readonly headers: Record<string, string | number | string[]>;
}

/**
 * Replays real recorded GitHub responses from loopback: a request matching a recording's method and path
 * (query included) gets its status, headers and body, with api.github.com links pointed back here.
 */
export async function startReplayServer(recordings: readonly Recording[]) {
  let base = '';
  const server = createServer((request, response) => {
    const recording = recordings.find((entry) => entry.method.toUpperCase() === request.method && entry.path === request.url);
    if (!recording) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `no recording for ${request.url}` }));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(recording.headers)
        // The body is re-serialized, so its recorded length no longer applies.
        .filter(([name]) => name !== 'content-length' && name !== 'transfer-encoding')
        .map(([name, value]) => [name, String(value).replaceAll('https://api.github.com', base)]),
    );
    response.writeHead(recording.status, headers).end(JSON.stringify(recording.response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
