/**
 * `npm run bench:cluster`: what three Cassandra nodes cost against one, on this one machine, in
 * one run. For each size in turn it starts its own servers in a temporary directory — a local
 * Cassandra of 1, then 3 nodes (node N on 127.0.0.N; replication factor min(nodes, 3), reads and
 * writes at LOCAL_QUORUM, lightweight transactions at LOCAL_SERIAL) and the Temporal server on
 * that cluster (BENCH_SHARDS history shards, default 8) — then drives the loyalty program end to
 * end: BENCH_PURCHASES purchases (default 400, max 4000) over 20 customers through the
 * recordPurchase Update, BENCH_CONCURRENCY in flight (default 16, max 64), a loyalty worker with
 * the Cassandra repository in this process. It prints purchases/s and per-purchase p50 / p99 of
 * each size and the 3-node / 1-node ratios, and checks the ledger (the tables, not the workflow)
 * holds every purchase once.
 *
 * Three JVMs on the same cores cost: the point of the figures is what a quorum costs here, not
 * a forecast of a real cluster, where each node has its own machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createRepository } from '@invincible/astra-repo';
import { LOYALTY_TASK_QUEUE, WORKFLOW_SOURCES } from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { isolatedStackConfig } from '../config';
import { createLogger } from '../log';
import { endpoints, provision, serverSpecs } from '../stack';
import { Supervisor } from '../supervisor';
import { freeIsolatedPorts } from '../testing/processes';
import { bounded, recordPurchaseWithStart } from './bench-support';

const PURCHASES = bounded('BENCH_PURCHASES', 400, 4_000);
const CONCURRENCY = bounded('BENCH_CONCURRENCY', 16, 64);
const SHARDS = bounded('BENCH_SHARDS', 8, 512);
const CUSTOMERS = 20;
const SIZES = [1, 3] as const;

interface Figures {
  readonly nodes: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly startupS: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function measure(nodes: number, log: ReturnType<typeof createLogger>): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `invincible-bench-cluster-${nodes}-`));
  const ports = await freeIsolatedPorts();
  const config = isolatedStackConfig(process.env, {
    dataDir: dir,
    ports,
    temporalPersistence: 'cassandra',
    cluster: { cassandraNodes: nodes, historyShards: SHARDS },
  });
  const provisioned = await provision(
    config,
    { temporal: true, cassandra: true, testServer: false, temporalServer: { ui: false } },
    process.env,
    log,
  );
  const where = endpoints(config);
  const replicationFactor = where.cassandraReplicationFactor ?? 1;
  const supervisor = new Supervisor(log);
  const t0 = Date.now();
  try {
    // The local cluster, then Temporal on it: what `npm start -- --cassandra-nodes N` runs.
    for (const spec of serverSpecs(config, provisioned, {
      ephemeral: true,
      dataDir: dir,
      env: process.env,
      log,
    }))
      await supervisor.start(spec);
    const startupS = (Date.now() - t0) / 1000;
    const address = `127.0.0.1:${ports.temporal}`;
    const repository = createRepository({
      backend: 'cassandra',
      contactPoints: (where.cassandraContactPoints ?? '').split(','),
      localDataCenter: 'datacenter1',
      keyspace: 'bench',
      replicationFactor,
    });
    await repository.migrate();
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({
        repository,
        mailer: createOutboxMailer({ outbox: repository.outbox }),
      }),
    });
    try {
      return await worker.runUntil(async () => {
        const customers = Array.from({ length: CUSTOMERS }, (_, i) => `bench-${nodes}-${i}`);
        const purchase = (i: number) => ({
          customerId: customers[i % CUSTOMERS] as string,
          purchase: {
            purchaseId: `p-${i}`,
            total: 1_000,
            currency: 'USD',
            occurredAt: new Date().toISOString(),
          },
        });
        const send = (i: number) => {
          const { customerId, purchase: p } = purchase(i);
          return recordPurchaseWithStart(client, customerId, p);
        };
        // Warm-up: every customer's workflow started and cached, the code paths compiled.
        for (let i = 0; i < CUSTOMERS; i++) await send(PURCHASES + i);
        const samples: number[] = [];
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < PURCHASES) {
              const i = next++;
              const s = performance.now();
              await send(i);
              samples.push(performance.now() - s);
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        // The tables, not the workflow: every purchase in the ledger exactly once.
        let rows = 0;
        for (const id of customers) rows += (await repository.purchases.totals(id)).purchases;
        if (rows !== PURCHASES + CUSTOMERS)
          throw new Error(
            `${nodes} node(s): ${rows} ledger rows for ${PURCHASES + CUSTOMERS} purchases`,
          );
        samples.sort((a, b) => a - b);
        return {
          nodes,
          perSecond: PURCHASES / seconds,
          p50: percentile(samples, 50),
          p99: percentile(samples, 99),
          startupS,
        };
      });
    } finally {
      await connection.close();
      await repository.close();
    }
  } finally {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const log = createLogger('bench');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const figures: Figures[] = [];
  for (const nodes of SIZES) figures.push(await measure(nodes, log));
  const [one, three] = figures as [Figures, Figures];
  console.log(
    `cluster benchmark: ${PURCHASES} purchases over ${CUSTOMERS} customers, ${CONCURRENCY} in flight, ` +
      `Temporal on the same Cassandra with ${SHARDS} history shards, every process on this machine`,
  );
  for (const f of figures)
    console.log(
      `${f.nodes} node(s), RF ${Math.min(f.nodes, 3)}: ${f.perSecond.toFixed(1)} purchases/s, ` +
        `p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms (servers up in ${f.startupS.toFixed(0)} s)`,
    );
  console.log(
    `ratio 3 nodes / 1 node: throughput ${(three.perSecond / one.perSecond).toFixed(2)}, ` +
      `p50 ${(three.p50 / one.p50).toFixed(2)}, p99 ${(three.p99 / one.p99).toFixed(2)}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
