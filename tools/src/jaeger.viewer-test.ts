import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths';
import { localJaeger, type JaegerPorts } from './servers/jaeger';
import {
  cleanStackEnv,
  freePort,
  isAlive,
  spawnCollecting,
  STACK_CLI,
  waitFor,
  type Spawned,
} from './testing/processes';
import { testEnv } from './testing/test-env';

/**
 * The local trace viewer of `npm start -- --traces`: Jaeger built from its Go module (JAEGER_PATH)
 * serving the Jaeger UI's production build (INVINCIBLE_TEST_JAEGER_UI_DIR), both provisioned by
 * `npm run test:traces-viewer` (not `npm test`: a cold Jaeger build takes minutes). A span sent over OTLP/HTTP as an app sends it is found again through the query API,
 * and the UI root is the real UI, not the placeholder page a module build embeds.
 */

/** Free ports for Jaeger; the UI's must have a free neighbour below it (the query gRPC port). */
async function freeJaegerPorts(): Promise<JaegerPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const ui = await freePort();
    if (await canBind(ui - 1)) {
      return { ui, otlpGrpc: await freePort(), otlpHttp: await freePort() };
    }
  }
  throw new Error('no free pair of ports for the Jaeger UI and its query gRPC');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** One OTLP/JSON export request: a resource with `service.name`, one server span. */
function otlpTrace(service: string, traceId: string, spanName: string): object {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'jaeger.int.test' },
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                name: spanName,
                kind: 2, // SPAN_KIND_SERVER
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 7_000_000n),
                attributes: [{ key: 'http.request.method', value: { stringValue: 'POST' } }],
              },
            ],
          },
        ],
      },
    ],
  };
}

interface JaegerTraces {
  data: {
    traceID: string;
    spans: { operationName: string; processID: string }[];
    processes: Record<string, { serviceName: string }>;
  }[];
}

describe('Jaeger beside the stack (--traces)', () => {
  jest.setTimeout(90_000);
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'invincible-jaeger-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores a span sent over OTLP/HTTP, finds it by service and id, and serves the real UI', async () => {
    const ports = await freeJaegerPorts();
    const spec = localJaeger({
      jaegerPath: testEnv('JAEGER_PATH'),
      uiAssets: testEnv('INVINCIBLE_TEST_JAEGER_UI_DIR'),
      ports,
      dataDir: join(dataDir, 'spec'),
    });
    const jaeger: Spawned = spawnCollecting(spec.command, spec.args, { detached: true });
    try {
      const ready = spec.ready;
      if (!ready) throw new Error('the Jaeger spec has no readiness check');
      await waitFor(ready.description, ready.check, ready.timeoutMs).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${jaeger.output()}`);
      });
      const base = `http://127.0.0.1:${ports.ui}`;

      const service = `invincible-test-${randomBytes(4).toString('hex')}`;
      const traceId = randomBytes(16).toString('hex');
      const sent = await fetch(`http://127.0.0.1:${ports.otlpHttp}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(otlpTrace(service, traceId, 'POST /v1/purchases')),
      });
      expect(sent.status).toBe(200);

      // The batch processor hands spans to storage within its 200 ms timeout.
      let found: JaegerTraces['data'] = [];
      await waitFor(
        `the trace of ${service} in the query API`,
        async () => {
          const response = await fetch(`${base}/api/traces?service=${service}&limit=5`);
          found = ((await response.json()) as JaegerTraces).data;
          return found.length > 0;
        },
        10_000,
      );
      expect(found).toHaveLength(1);
      const [trace] = found;
      expect(trace?.traceID).toBe(traceId);
      expect(trace?.spans.map((s) => s.operationName)).toEqual(['POST /v1/purchases']);
      const processID = trace?.spans[0]?.processID ?? '';
      expect(trace?.processes[processID]?.serviceName).toBe(service);

      // The same trace through the OTLP-shaped v3 API, which the newer UI pages use.
      const v3 = (await (await fetch(`${base}/api/v3/traces/${traceId}`)).json()) as {
        result: { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
      };
      expect(v3.result.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('POST /v1/purchases');
      expect(await (await fetch(`${base}/api/v3/services`)).json()).toEqual({
        services: [service],
      });

      // The real UI: its index page, with the configuration the query service injects, and the
      // application bundle it loads; not the placeholder of a binary built without the UI.
      const root = await fetch(`${base}/`);
      expect(root.status).toBe(200);
      const html = await root.text();
      expect(html).toContain('<title>Jaeger UI</title>');
      expect(html).not.toContain('This is not the Jaeger UI you are looking for');
      expect(html).toMatch(/const JAEGER_CONFIG = [^;]+;/);
      const bundle = /<script type="module" crossorigin src="\.\/(static\/index-[\w-]+\.js)">/.exec(
        html,
      )?.[1];
      expect(bundle).toBeDefined();
      const js = await fetch(`${base}/${bundle ?? ''}`);
      expect(js.status).toBe(200);
      expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
      // A client-side route is answered with the UI too (deep links to a trace work).
      expect(await (await fetch(`${base}/trace/${traceId}`)).text()).toContain('Jaeger UI');
    } finally {
      const pid = jaeger.child.pid;
      if (pid !== undefined && isAlive(pid)) process.kill(-pid, 'SIGTERM');
      await jaeger.exited;
    }
  });

  it('`up --traces` starts Jaeger on 127.0.0.1, prints its URL, and Ctrl-C stops it', async () => {
    const ports = await freeJaegerPorts();
    const uiDir = testEnv('INVINCIBLE_TEST_JAEGER_UI_DIR');
    // Only Jaeger: the database is given by address and only it is asked for, so no server of
    // the stack is started beside it.
    const cli = spawnCollecting(
      process.execPath,
      [...STACK_CLI, 'up', '--only', 'cassandra', '--traces'],
      {
        cwd: REPO_ROOT,
        detached: true,
        env: cleanStackEnv({
          JAEGER_PATH: testEnv('JAEGER_PATH'),
          // The cache `npm run test:traces-viewer` provisioned the UI into (<cache>/jaeger-ui-<version>/build).
          INVINCIBLE_CACHE_DIR: dirname(dirname(uiDir)),
          INVINCIBLE_DATA_DIR: join(dataDir, 'cli'),
          CASSANDRA_CONTACT_POINTS: '127.0.0.1:9',
          JAEGER_UI_PORT: String(ports.ui),
          JAEGER_OTLP_GRPC_PORT: String(ports.otlpGrpc),
          JAEGER_OTLP_HTTP_PORT: String(ports.otlpHttp),
        }),
      },
    );
    const group = cli.child.pid;
    if (group === undefined) throw new Error('the stack CLI did not spawn');
    try {
      await waitFor('the "Invincible is up" banner', () => cli.output().includes('is up'), 60_000);
    } catch (error) {
      process.kill(-group, 'SIGKILL');
      throw new Error(`${String(error)}\n${cli.output()}`);
    }
    const output = cli.output();
    expect(output).toContain(
      `Traces         http://127.0.0.1:${ports.ui}   (Jaeger; OTLP/HTTP http://127.0.0.1:${ports.otlpHttp})`,
    );
    const started = [...output.matchAll(/started ([\w-]+) \(pid (\d+)\)/g)];
    expect(started.map((m) => m[1])).toEqual(['jaeger']);
    // Its start-up noise is not echoed.
    expect(output).not.toMatch(/ui assets not embedded/);
    expect((await fetch(`http://127.0.0.1:${ports.ui}/api/services`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${ports.ui}/`)).text()).toContain(
      '<title>Jaeger UI</title>',
    );

    process.kill(-group, 'SIGINT');
    await cli.exited;
    const jaegerPid = Number(started[0]?.[2]);
    await waitFor('Jaeger to exit', () => !isAlive(jaegerPid), 10_000);
    for (const port of [ports.ui, ports.ui - 1, ports.otlpGrpc, ports.otlpHttp]) {
      expect(await canBind(port)).toBe(true);
    }
  });
});
