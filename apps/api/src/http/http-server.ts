import { createServer, type RequestListener, type Server } from 'node:http';

/** How long the server waits for slow clients (see README: `HEADERS_TIMEOUT_MS` …). */
export interface ServerTimeouts {
  /** Until the request's headers are complete: then 408 and the connection is closed. */
  readonly headersTimeoutMs: number;
  /** Until the whole request (headers and body) is received: then 408 and close. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept between requests. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * The API's HTTP server, with bounds on slow clients: a client that trickles its headers or body
 * (slowloris) holds a connection for `headersTimeoutMs` / `requestTimeoutMs` at most, instead of
 * Node's defaults (60 s and 300 s). Node checks these bounds every `connectionsCheckingInterval`
 * (30 s by default, which would add up to 30 s to each): here a quarter of the header timeout.
 */
export function createHttpServer(app: RequestListener, timeouts: ServerTimeouts): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, timeouts.headersTimeoutMs / 4)),
    },
    app,
  );
  return server;
}
