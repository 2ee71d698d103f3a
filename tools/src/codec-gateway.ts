import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Largest body forwarded (the API's codec endpoints read up to 8 MB). */
const MAX_BODY = 8 * 1024 * 1024;

export interface CodecGatewayOptions {
  /** 127.0.0.1 port to listen on; 0 picks one. */
  readonly port: number;
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  /** The admin key the gateway presents to `/v1/codec/*`. */
  readonly adminKey: string;
  /** The Web UI's origin, the only one answered with CORS headers. */
  readonly uiOrigin: string;
}

/**
 * The local Web UI's codec endpoint (`npm start` only): the Temporal Web UI calls a codec server
 * from the browser and cannot present an API key, so this forwards its `/encode` and `/decode`
 * to the API's `/v1/codec/*` with the stack's admin key. It listens on 127.0.0.1 and answers CORS
 * for the UI's origin alone — the same trust as the local UI itself. In production the codec
 * endpoint sits behind your SSO proxy, which presents an admin key the same way.
 */
export async function startCodecGateway(
  options: CodecGatewayOptions,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.origin !== options.uiOrigin) return;
    res.setHeader('access-control-allow-origin', options.uiOrigin);
    res.setHeader('access-control-allow-methods', 'POST');
    res.setHeader('access-control-allow-headers', 'content-type, x-namespace');
    res.setHeader('vary', 'origin');
  };
  const server = createServer((req, res) => {
    cors(req, res);
    const direction = /^\/(encode|decode)\/?$/.exec(req.url ?? '')?.[1];
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.method !== 'POST' || !direction) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      fetch(`${options.apiUrl}/v1/codec/${direction}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.adminKey}`,
          'content-type': 'application/json',
          'x-namespace': String(req.headers['x-namespace'] ?? 'default'),
        },
        body: Buffer.concat(chunks),
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
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
