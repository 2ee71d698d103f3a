/**
 * `npm run bench:temporal-persistence`: what keeping Temporal's state in Cassandra costs, in one
 * run on one machine. Starts its own servers in a temporary directory — a Cassandra (unless
 * CASSANDRA_CONTACT_POINTS names one), the CLI dev server on TEMPORAL_PORT (state in a SQLite
 * file, as `npm start` keeps it) and the Temporal server on Cassandra on TEMPORAL_PORT + 100 —
 * then measures both the same way, one after the other:
 *   - workflow starts/s: BENCH_STARTS starts (default 200, max 2000), 10 in flight;
 *   - Updates/s: BENCH_UPDATES Updates (default 300, max 3000) over 10 workflows, one in flight each;
 *   - timer fire lag: BENCH_TIMERS workflows (default 50, max 500) × 3 one-second timers, the
 *     lag as the workflow sees it (p50 / p95 / max);
 * and prints each figure, the Cassandra/dev ratio, and the servers' RSS (now and peak).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadStackConfig } from '../config';
import { createLogger } from '../log';
import { localCassandra } from '../servers/cassandra';
import { localTemporalOnCassandra, plainCassandraAt } from '../servers/temporal-cassandra';
import { localTemporal } from '../servers/temporal-dev';
import { provision } from '../stack';
import { Supervisor } from '../supervisor';
import type { counter, timers } from '../testing/persistence-workflows';
import { bounded } from './bench-support';

const STARTS = bounded('BENCH_STARTS', 200, 2_000);
const UPDATES = bounded('BENCH_UPDATES', 300, 3_000);
const TIMERS = bounded('BENCH_TIMERS', 50, 500);
const IN_FLIGHT = 10;

interface Figures {
  readonly startsPerS: number;
  readonly updatesPerS: number;
  readonly lagP50: number;
  readonly lagP95: number;
  readonly lagMax: number;
}

/** Runs `task(i)` for i < count with at most `inFlight` at once. */
async function pool(count: number, inFlight: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(address: string, label: string): Promise<Figures> {
  const run = `${label}-${Date.now().toString(36)}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `bench-${run}`;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowsPath: require.resolve('../testing/persistence-workflows'),
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 1_000,
  });
  const figures = await worker.runUntil(async () => {
    // Starts: the workflows go to a task queue no worker polls; only the start is measured.
    let t0 = Date.now();
    await pool(STARTS, IN_FLIGHT, (i) =>
      client.workflow.start<typeof counter>('counter', {
        taskQueue: `${taskQueue}-unpolled`,
        workflowId: `start-${run}-${i}`,
      }),
    );
    const startsPerS = STARTS / ((Date.now() - t0) / 1000);

    const counters = await Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, i) =>
        client.workflow.start<typeof counter>('counter', {
          taskQueue,
          workflowId: `counter-${run}-${i}`,
        }),
      ),
    );
    t0 = Date.now();
    await Promise.all(
      counters.map(async (handle) => {
        for (let n = 0; n < UPDATES / IN_FLIGHT; n++) {
          await handle.executeUpdate('increment', { args: [1] });
        }
      }),
    );
    const updatesPerS = UPDATES / ((Date.now() - t0) / 1000);
    await Promise.all(counters.map((h) => h.signal('done')));

    const lags = (
      await Promise.all(
        Array.from({ length: TIMERS }, (_, i) =>
          client.workflow.execute<typeof timers>('timers', {
            taskQueue,
            workflowId: `timers-${run}-${i}`,
            args: [{ count: 3, intervalMs: 1_000 }],
          }),
        ),
      )
    )
      .flat()
      .sort((a, b) => a - b);
    return {
      startsPerS,
      updatesPerS,
      lagP50: percentile(lags, 50),
      lagP95: percentile(lags, 95),
      lagMax: lags.at(-1) ?? NaN,
    };
  });
  await connection.close();
  return figures;
}

/** Resident and peak resident memory of a process, in MB (Linux /proc). */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  const log = createLogger('bench');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadStackConfig({ ...process.env, TEMPORAL_PERSISTENCE: 'dev' });
  if (config.temporal.mode !== 'local')
    throw new Error('unset TEMPORAL_ADDRESS: the bench starts its own servers');
  const devPort = config.temporal.port;
  const onCassandraPort = devPort + 100;
  const provisioned = await provision(
    config,
    { temporal: true, cassandra: true, testServer: false, temporalServer: { ui: false } },
    process.env,
    log,
  );
  const dir = mkdtempSync(join(tmpdir(), 'invincible-bench-'));
  const supervisor = new Supervisor(log);
  try {
    let cassandra: { contactPoint: string; pid?: number };
    if (config.database.mode === 'local' && provisioned.cassandraClasspath && provisioned.java) {
      const pid = await supervisor.start(
        localCassandra({
          java: provisioned.java,
          classpath: provisioned.cassandraClasspath,
          dataDir: join(dir, 'cassandra'),
          port: config.database.port,
          storagePort: config.database.storagePort,
          heap: config.database.heap,
        }),
      );
      cassandra = { contactPoint: `127.0.0.1:${config.database.port}`, pid };
    } else if (config.database.mode === 'external') {
      cassandra = { contactPoint: config.database.contactPoints };
    } else {
      throw new Error('the bench needs Cassandra: a local one, or CASSANDRA_CONTACT_POINTS');
    }
    if (!provisioned.temporalCli || !provisioned.temporalServer) throw new Error('not provisioned');
    const devPid = await supervisor.start(
      localTemporal({
        cliPath: provisioned.temporalCli,
        port: devPort,
        uiPort: undefined,
        dataDir: join(dir, 'temporal'),
        namespace: 'default',
      }),
    );
    const started = Date.now();
    const onCassandraPid = await supervisor.start(
      localTemporalOnCassandra({
        name: 'temporal-cassandra',
        server: provisioned.temporalServer.server,
        schemaTool: provisioned.temporalServer.schemaTool,
        port: onCassandraPort,
        namespace: 'default',
        historyShards: 4,
        keyspace: `temporal_bench_${Date.now().toString(36)}`,
        createKeyspace: true,
        replicationFactor: 1,
        cassandra: plainCassandraAt(cassandra.contactPoint),
        dataDir: join(dir, 'temporal-cassandra'),
        env: process.env,
        log,
      }),
    );
    const readyS = (Date.now() - started) / 1000;

    const dev = await measure(`127.0.0.1:${devPort}`, 'dev');
    const onCassandra = await measure(`127.0.0.1:${onCassandraPort}`, 'cassandra');
    const [devRss, onCassandraRss] = [rss(devPid), rss(onCassandraPid)];

    const rows: [string, keyof Figures, string][] = [
      ['workflow starts/s', 'startsPerS', 'higher is better'],
      ['Updates/s', 'updatesPerS', 'higher is better'],
      ['timer fire lag p50 (ms)', 'lagP50', 'lower is better'],
      ['timer fire lag p95 (ms)', 'lagP95', 'lower is better'],
      ['timer fire lag max (ms)', 'lagMax', 'lower is better'],
    ];
    const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
    console.log('');
    console.log(
      `Temporal persistence benchmark: ${STARTS} starts, ${UPDATES} Updates (${IN_FLIGHT} in flight), ` +
        `${TIMERS} workflows x 3 timers of 1 s`,
    );
    console.log('figure                      dev server   on Cassandra   Cassandra/dev');
    for (const [name, key, better] of rows) {
      const ratio = dev[key] === 0 ? NaN : onCassandra[key] / dev[key];
      console.log(
        `${name.padEnd(28)}${fmt(dev[key]).padStart(10)}   ${fmt(onCassandra[key]).padStart(12)}   ` +
          `${(Number.isFinite(ratio) ? ratio.toFixed(2) : '-').padStart(13)}  (${better})`,
      );
    }
    console.log(
      `RSS MB now/peak             ${`${fmt(devRss.now)}/${fmt(devRss.peak)}`.padStart(10)}   ` +
        `${`${fmt(onCassandraRss.now)}/${fmt(onCassandraRss.peak)}`.padStart(12)}`,
    );
    if (cassandra.pid) {
      const c = rss(cassandra.pid);
      console.log(
        `Cassandra JVM RSS MB now/peak: ${fmt(c.now)}/${fmt(c.peak)} (business data and Temporal share it)`,
      );
    }
    console.log(
      `Temporal on Cassandra: schema + start + namespace ready in ${readyS.toFixed(1)} s`,
    );
  } finally {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
