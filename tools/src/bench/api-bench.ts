/**
 * `npm run bench:api`: latency of `POST /v1/customers/{id}/purchases` under a bounded load
 * (autocannon) against the raw Temporal client call it wraps (`executeUpdateWithStart` of the
 * recordPurchase Update), in one run, at the same concurrency, on one Temporal server and one
 * Cassandra (`npm run stack -- up`: TEMPORAL_ADDRESS default 127.0.0.1:7233, CASSANDRA_CONTACT_POINTS
 * default 127.0.0.1:9042). The API runs as its own process (apps/api/src/main.ts, as `npm start`
 * runs it); the loyalty worker runs in this process; both use a namespace and a keyspace of
 * their own. Rounds alternate HTTP and raw so drift on a shared machine hits both.
 * Sizes: BENCH_REQUESTS per round (default 400, max 4000), BENCH_CONCURRENCY (default 10, max 64),
 * BENCH_ROUNDS (default 2, max 5). Prints p50 / p99 of both and their ratios (target p99 ≤ 1.5).
 */
import { randomBytes } from 'node:crypto';
import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createRepository } from '@invincible/astra-repo';
import { LOYALTY_TASK_QUEUE, WORKFLOW_SOURCES } from '@invincible/workflows';
import { createTestNamespace } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import autocannon from 'autocannon';
import { devApp } from '../apps';
import { createLogger } from '../log';
import { Supervisor } from '../supervisor';
import { freePort } from '../testing/processes';
import { recordPurchaseWithStart } from './bench-support';
import { benchPayloadCodecs, payloadCodecEnv } from './payload-codec';

const REQUESTS = Math.min(Number(process.env['BENCH_REQUESTS'] ?? 400), 4_000);
const CONCURRENCY = Math.min(Number(process.env['BENCH_CONCURRENCY'] ?? 10), 64);
const ROUNDS = Math.min(Number(process.env['BENCH_ROUNDS'] ?? 2), 5);
const CUSTOMERS = 20;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const address = process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
  const contactPoints = process.env['CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1:9042';
  const run = Date.now().toString(36);
  const namespace = `bench-api-${run}`;
  const keyspace = `bench_api_${run}`;
  const dataCenter = process.env['CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1';
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const connection = await Connection.connect({ address });
  await createTestNamespace(connection, namespace);
  // PAYLOAD_CODEC_KEYS set: the API's client and the worker encrypt, as a deployment with it does.
  const codec = benchPayloadCodecs(process.env);
  const dataConverter = { payloadCodecs: codec.payloadCodecs };
  const client = new Client({ connection, namespace, dataConverter });
  const repository = createRepository({
    backend: 'cassandra',
    contactPoints: contactPoints.split(','),
    localDataCenter: dataCenter,
    keyspace,
    replicationFactor: 1,
  });
  await repository.migrate();
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    namespace,
    taskQueue: LOYALTY_TASK_QUEUE,
    workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
    dataConverter,
    activities: createLoyaltyActivities({
      repository,
      mailer: createOutboxMailer({ outbox: repository.outbox }),
    }),
  });

  const port = await freePort();
  const secret = `bench_${randomBytes(16).toString('hex')}`;
  // The API as `npm start` runs it, under the same supervisor: started, then ready on /readyz.
  const supervisor = new Supervisor(createLogger('bench'));
  await supervisor.start(
    devApp(
      'api',
      {
        temporalAddress: address,
        temporalConnection: {},
        temporalNamespace: namespace,
        temporalUiUrl: undefined,
        cassandraContactPoints: contactPoints,
        cassandraLocalDataCenter: dataCenter,
      },
      {
        PATH: process.env['PATH'],
        ...payloadCodecEnv(process.env),
        CASSANDRA_KEYSPACE: keyspace,
        REPOSITORY_MIGRATE: 'false',
        API_KEYS: `bench:${secret}`,
        RATE_LIMIT_PER_MINUTE: '1000000',
        LOG_LEVEL: 'warn',
      },
      port,
    ),
  );
  const base = `http://127.0.0.1:${port}`;
  const auth = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };

  try {
    await worker.runUntil(async () => {
      const customers = Array.from({ length: CUSTOMERS }, (_, i) => `bench-${run}-${i}`);
      for (const id of customers) {
        const res = await fetch(`${base}/v1/customers`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ id, email: `${id}@example.com`, name: id }),
        });
        if (res.status !== 201) throw new Error(`customer ${id}: ${res.status}`);
      }
      let seq = 0;
      const next = () => {
        seq++;
        return {
          customerId: customers[seq % CUSTOMERS] as string,
          purchase: {
            purchaseId: `p-${run}-${seq}`,
            total: 100,
            currency: 'USD',
            occurredAt: new Date().toISOString(),
          },
        };
      };

      const viaHttp = async () => {
        let failures = 0;
        const result = await autocannon({
          url: base,
          connections: CONCURRENCY,
          amount: REQUESTS,
          requests: [
            {
              method: 'POST',
              headers: auth,
              setupRequest: (request) => {
                const { customerId, purchase } = next();
                return {
                  ...request,
                  path: `/v1/customers/${customerId}/purchases`,
                  body: JSON.stringify(purchase),
                };
              },
              onResponse: (status) => {
                if (status !== 201) failures++;
              },
            },
          ],
        });
        if (failures > 0 || result.errors > 0)
          throw new Error(`${failures} non-201 responses, ${result.errors} errors`);
        return { p50: result.latency.p50, p99: result.latency.p99 };
      };

      const raw = async () => {
        const samples: number[] = [];
        let remaining = REQUESTS;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (remaining-- > 0) {
              const { customerId, purchase } = next();
              const t0 = performance.now();
              await recordPurchaseWithStart(client, customerId, purchase);
              samples.push(performance.now() - t0);
            }
          }),
        );
        samples.sort((a, b) => a - b);
        return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
      };

      // Warm-up: every customer's workflow started, code paths compiled, connections open.
      await raw();
      await viaHttp();
      const rows: string[] = [];
      const totals = { http: { p50: 0, p99: 0 }, raw: { p50: 0, p99: 0 } };
      for (let round = 1; round <= ROUNDS; round++) {
        const h = await viaHttp();
        const r = await raw();
        for (const k of ['p50', 'p99'] as const) {
          totals.http[k] += h[k] / ROUNDS;
          totals.raw[k] += r[k] / ROUNDS;
        }
        rows.push(
          `round ${round}: HTTP p50 ${h.p50.toFixed(1)} / p99 ${h.p99.toFixed(1)} ms; raw executeUpdateWithStart p50 ${r.p50.toFixed(1)} / p99 ${r.p99.toFixed(1)} ms`,
        );
      }
      console.log(
        `api benchmark: ${REQUESTS} purchases per round and path, concurrency ${CONCURRENCY}, ${ROUNDS} rounds, ${CUSTOMERS} customers, Temporal ${address}, Cassandra ${contactPoints}`,
      );
      console.log(codec.label);
      for (const row of rows) console.log(row);
      console.log(
        `mean over rounds: HTTP p50 ${totals.http.p50.toFixed(1)} / p99 ${totals.http.p99.toFixed(1)} ms; raw p50 ${totals.raw.p50.toFixed(1)} / p99 ${totals.raw.p99.toFixed(1)} ms`,
      );
      console.log(
        `ratio HTTP/raw: p50 ${(totals.http.p50 / totals.raw.p50).toFixed(2)}, p99 ${(totals.http.p99 / totals.raw.p99).toFixed(2)} (target p99 <= 1.5)`,
      );
    });
  } finally {
    await supervisor.stopAll();
    await repository.close();
    await connection.close();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
