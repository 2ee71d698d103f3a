import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createTestNamespace, requireTestEnv } from '@invincible/workflows/testing';
import { Connection } from '@temporalio/client';
import { appSourceArgs, type AppName } from './apps';
import { REPO_ROOT } from './paths';
import {
  cleanStackEnv,
  freePort,
  spawnCollecting,
  waitFor,
  type Spawned,
} from './testing/processes';

/**
 * One trace per request, across the three processes: the API, the billing worker and the loyalty
 * worker run from source with the standard OTEL_* variables pointing at an OTLP/HTTP receiver in
 * this test, which keeps every span it is sent in memory. A purchase and a subscription's charge
 * must each be one trace from the HTTP request through the Temporal client, the workflow and the
 * activity down to the database call — CQL on Cassandra, HTTP on the Data API — and the API's
 * log lines of the request must carry its trace id.
 */
const run = Date.now().toString(36);

/** A span as OTLP/JSON carries it, with the service that sent it. */
interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [key, Object.values(value)[0]] as const),
  );
}

/** An OTLP/HTTP (JSON) trace receiver on 127.0.0.1: what a collector would be sent. */
async function otlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const request = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: OtlpAttribute[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                attributes?: OtlpAttribute[];
              }[];
            }[];
          }[];
        };
        for (const resourceSpans of request.resourceSpans ?? []) {
          const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                attributes: attributesOf(span.attributes),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

/** The chain of span names from `span` up to the trace's root, as `service:name`. */
function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) {
    chain.unshift(`${at.service}:${at.name}`);
  }
  return chain;
}

/** The repository each row runs on: Cassandra over CQL, and the Data API over HTTP. */
const BACKENDS = [
  {
    name: 'Cassandra',
    env: (keyspace: string): NodeJS.ProcessEnv => ({
      CASSANDRA_CONTACT_POINTS: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
      CASSANDRA_KEYSPACE: keyspace,
    }),
    /** A CQL statement's span (cassandra-driver instrumentation). */
    isDatabaseCall: (span: ReceivedSpan) => span.attributes['db.system'] === 'cassandra',
  },
  {
    name: 'the Data API',
    env: (keyspace: string): NodeJS.ProcessEnv => ({
      ASTRA_DB_API_ENDPOINT: requireTestEnv('INVINCIBLE_TEST_DATA_API_ENDPOINT'),
      ASTRA_DB_ENVIRONMENT: 'cassandra',
      ASTRA_DB_USERNAME: 'cassandra',
      ASTRA_DB_PASSWORD: 'cassandra',
      ASTRA_DB_KEYSPACE: keyspace,
    }),
    /** A Data API command's span (fetch, by the undici instrumentation). */
    isDatabaseCall: (span: ReceivedSpan) =>
      span.name === 'POST' &&
      String(span.attributes['url.full']).startsWith(
        requireTestEnv('INVINCIBLE_TEST_DATA_API_ENDPOINT'),
      ),
  },
] as const;

describe.each(BACKENDS)('one trace per request, HTTP to $name', (backend) => {
  jest.setTimeout(240_000);
  const tag = `${run}${backend.name === 'Cassandra' ? 'c' : 'd'}`;
  const namespace = `tracing-${tag}`;
  const keyspace = `tracing_${tag}`;
  const apiKey = `tracing_${randomBytes(16).toString('hex')}`;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let apiPort: number;
  const apps: Partial<Record<AppName, Spawned>> = {};

  const appEnv = (app: AppName): NodeJS.ProcessEnv =>
    cleanStackEnv({
      TEMPORAL_ADDRESS: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_NAMESPACE: namespace,
      ...backend.env(keyspace),
      // Only the API migrates: three processes creating one schema at once would race.
      REPOSITORY_MIGRATE: app === 'api' ? 'true' : 'false',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_LEVEL: 'info',
      ...(app === 'api'
        ? { PORT: String(apiPort), HOST: '127.0.0.1', API_KEYS: `tracing:${apiKey}` }
        : { RECONCILE_INTERVAL: 'off' }),
    });

  beforeAll(async () => {
    receiver = await otlpReceiver();
    apiPort = await freePort();
    const connection = await Connection.connect({
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS'),
    });
    try {
      await createTestNamespace(connection, namespace);
    } finally {
      await connection.close();
    }
    apps.api = spawnCollecting(process.execPath, appSourceArgs('api'), {
      cwd: REPO_ROOT,
      env: appEnv('api'),
    });
    await waitFor(
      'the API ready',
      async () =>
        (await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => null))?.ok ?? false,
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${apps.api?.output().slice(-4_000) ?? ''}`);
    });
    for (const app of ['billing-worker', 'loyalty-worker'] as const) {
      apps[app] = spawnCollecting(process.execPath, appSourceArgs(app), {
        cwd: REPO_ROOT,
        env: appEnv(app),
      });
    }
    for (const app of ['billing-worker', 'loyalty-worker'] as const) {
      await waitFor(
        `the ${app} polling`,
        () => /worker polling/.test(apps[app]?.output() ?? ''),
        120_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${apps[app]?.output().slice(-4_000) ?? ''}`);
      });
    }
  });

  afterAll(async () => {
    for (const app of Object.values(apps)) app.child.kill('SIGKILL');
    await Promise.all(Object.values(apps).map((app) => app.exited));
    receiver?.server.close();
  });

  const http = async <T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `${tag}-${path}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as T;
    if (response.status >= 300) {
      throw new Error(
        `${method} ${path}: ${response.status} ${JSON.stringify(answer)}\n` +
          (apps.api?.output().slice(-3_000) ?? ''),
      );
    }
    return answer;
  };

  /** The trace the API served the request `requestId` in (its server span carries the id). */
  const traceOf = (requestId: string): string | undefined =>
    receiver.spans.find(
      (s) => s.service === 'api' && s.attributes['invincible.request_id'] === requestId,
    )?.traceId;

  /**
   * Waits for the database call made by the activity `activity` in the trace of `requestId`,
   * and returns the chain from the HTTP request down to it.
   */
  async function chainToDatabase(
    requestId: string,
    activity: string,
    through = `RunActivity:${activity}`,
  ): Promise<string[]> {
    let chain: string[] = [];
    await waitFor(
      `a ${backend.name} call under RunActivity:${activity} in the trace of ${requestId}`,
      () => {
        const traceId = traceOf(requestId);
        const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
        const call = inTrace.find((s) => {
          if (!backend.isDatabaseCall(s)) return false;
          const names = ancestry(inTrace, s);
          return (
            names.some((name) => name.endsWith(`:RunActivity:${activity}`)) &&
            names.some((name) => name.endsWith(`:${through}`)) &&
            names[0]?.startsWith('api:') === true
          );
        });
        if (call) chain = ancestry(inTrace, call);
        return call !== undefined;
      },
      90_000,
    ).catch((error: unknown) => {
      const names = receiver.spans.map((s) => `${s.service}:${s.name}`);
      throw new Error(
        `${String(error)}\nspans received: ${[...new Set(names)].join(', ')}\n` +
          `${apps['billing-worker']?.output().slice(-3_000) ?? ''}`,
      );
    });
    return chain;
  }

  const customerId = `cus-${tag}`;

  it('a purchase: HTTP → Update-with-start → its handler → the counting activity → the database', async () => {
    await http('POST', '/v1/customers', { id: customerId, email: 'ada@example.com', name: 'Ada' });
    for (const order of ['order-1', 'order-2']) {
      // The second purchase finds the program running: its activity is still in its own trace.
      const requestId = `${order}-${tag}`;
      const purchase = await http<{ counted: boolean }>(
        'POST',
        `/v1/customers/${customerId}/purchases`,
        { purchaseId: order, total: 2_500, currency: 'USD' },
        { 'x-request-id': requestId },
      );
      expect(purchase.counted).toBe(true);

      const chain = await chainToDatabase(requestId, 'countPurchases');
      expect(chain).toEqual([
        'api:POST /v1/customers/{customerId}/purchases',
        'api:UpdateWithStartWorkflow:recordPurchase',
        'loyalty-worker:HandleUpdate:recordPurchase',
        'loyalty-worker:StartActivity:countPurchases',
        'loyalty-worker:RunActivity:countPurchases',
        ...chain.slice(5),
      ]);
      expect(chain.length).toBeGreaterThan(5);
      // The request's log lines carry the trace's id: a log search finds the trace, and back.
      expect(apps.api?.output()).toContain(`"trace_id":"${traceOf(requestId) ?? 'none'}"`);
    }
  });

  it('a subscription: HTTP → start → the subscription workflow → its charge → the database', async () => {
    const requestId = `subscribe-${tag}`;
    const { id } = await http<{ id: string }>(
      'POST',
      '/v1/subscriptions',
      {
        customerId,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1_000, currency: 'USD' },
        interval: { unit: 'day', count: 30 },
      },
      { 'x-request-id': requestId },
    );
    await waitFor(
      'the first charge',
      () => receiver.spans.some((s) => s.name === 'RunActivity:chargePayment'),
      90_000,
    );
    // A run's span ends with the run: cancelling ends it, so the workflow's own span is sent.
    await http('POST', `/v1/subscriptions/${id}/cancel`, { mode: 'now' });
    const chain = await chainToDatabase(requestId, 'chargePayment', 'RunWorkflow:subscription');
    expect(chain).toEqual([
      'api:POST /v1/subscriptions',
      'api:StartWorkflow:subscription',
      'billing-worker:RunWorkflow:subscription',
      'billing-worker:StartActivity:chargePayment',
      'billing-worker:RunActivity:chargePayment',
      ...chain.slice(5),
    ]);
    expect(chain.length).toBeGreaterThan(5);
  });
});
