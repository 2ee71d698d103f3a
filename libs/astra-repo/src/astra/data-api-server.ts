import type { FetcherRequestInfo } from '@datastax/astra-db-ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataApiEmulator } from './data-api-emulator';

/** Largest request body the server reads (the Data API's own limit is a few MB). */
const MAX_BODY = 8 * 1024 * 1024;

/**
 * Serves `emulator` over HTTP on 127.0.0.1, so that whole processes (the api and both workers,
 * started by `npm start` with `ASTRA_DB_API_ENDPOINT` set to `url`) run on it as on a
 * self-managed Data API. Requests without a `Token` header are refused with 401, as the Data
 * API does; every command goes through the emulator's `fetch`, faults included.
 */
export async function serveDataApi(
  emulator: DataApiEmulator,
  /** 0 (the default): any free port; the test runs' shared emulator has a fixed one. */
  options: { readonly port?: number } = {},
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (req.method !== 'POST' || !req.headers['token']) {
        res.writeHead(req.method === 'POST' ? 401 : 405).end();
        return;
      }
      const info = {
        url: `http://127.0.0.1${req.url ?? '/'}`,
        body: Buffer.concat(chunks).toString('utf8'),
        method: 'POST',
        headers: {},
        forceHttp1: true,
        timeout: 10_000,
        mkTimeoutError: () => new Error('timed out'),
      } as unknown as FetcherRequestInfo;
      emulator.fetch(info).then(
        (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body ?? '');
        },
        // An injected network failure: the connection drops without an answer.
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
