import { createServer, type Server } from 'node:http';

export interface HealthServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /**
   * Undefined when ready; otherwise why not (`connecting to Temporal`, `shutting down`…). Bounded
   * by `timeoutMs`: a check that hangs is not ready.
   */
  readonly notReady: () => Promise<string | undefined>;
  readonly timeoutMs?: number;
}

export interface HealthServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` and `/readyz` for a process that serves no HTTP otherwise (a worker), with
 * node:http alone. `GET /healthz` is 200 while the process runs (an orchestrator restarts it
 * only when it hangs or dies, never because Temporal is away); `GET /readyz` is 200 when
 * `notReady()` says nothing, else 503 with `Retry-After` and the reason.
 *
 * @example
 * ```ts
 * const health = await startHealthServer({
 *   host: '0.0.0.0',
 *   port: 9464,
 *   notReady: async () => (worker?.getState() === 'RUNNING' ? undefined : 'connecting to Temporal'),
 * });
 * ```
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, { status: 'method not allowed' }, { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') {
      send(200, { status: 'ok' });
      return;
    }
    if (path !== '/readyz') {
      send(404, { status: 'not found' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('readiness check timed out'), timeoutMs);
    });
    void Promise.race([options.notReady(), timeout])
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)))
      .then((reason) => {
        clearTimeout(timer);
        if (reason === undefined) send(200, { status: 'ready' });
        else send(503, { status: 'not ready', reason }, { 'retry-after': '5' });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
