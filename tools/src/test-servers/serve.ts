/**
 * One test server as a long-running process: what the Nx continuous tasks `tools:cassandra`,
 * `tools:temporal`, `tools:temporal-cassandra` and `tools:data-api` run
 * (`cli.ts serve-test <name>`). Each starts its server on its fixed test port (config.ts
 * `testPorts`), with fresh data in tmp/test-servers/<name>.data, under the stack's supervisor
 * (a server that dies is restarted, as `npm test` always did); writes its ready file once the
 * server answers; and on SIGTERM/SIGINT (Nx stops continuous tasks when their dependents are
 * done) stops it and removes the ready file and the data. A server given by address
 * (TEST_TEMPORAL_ADDRESS, TEST_CASSANDRA_CONTACT_POINTS) is only announced.
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDataApiEmulator, serveDataApi } from '@invincible/astra-repo/testing';
import { testPorts, testStackConfig } from '../config';
import { createLogger, type Logger } from '../log';
import { assertPortFree } from '../ports';
import { plainCassandraAt, localTemporalOnCassandra } from '../servers/temporal-cassandra';
import { endpoints, provision, serverSpecs, type ProvisionRequest } from '../stack';
import { Supervisor, type RestartPolicy } from '../supervisor';
import {
  removeReadyFile,
  removeTaskPid,
  TEST_STATE_DIR,
  testServerLog,
  writeReadyFile,
  writeTaskPid,
  type TestServerName,
} from './state';
import { waitForServer } from './wait-for-servers';

const RESTART: RestartPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 30_000 };

/** Temporal's keyspace on the shared test Cassandra, apart from every suite's own keyspace. */
const TEMPORAL_TEST_KEYSPACE = 'temporal_test';

/** What each server needs from the provision cache (`tools:provision` filled it before). */
const NEEDS: Record<TestServerName, ProvisionRequest> = {
  cassandra: { temporal: false, cassandra: true, testServer: false },
  temporal: { temporal: true, cassandra: false, testServer: false },
  'temporal-cassandra': {
    temporal: false,
    cassandra: false,
    testServer: false,
    temporalServer: { ui: false },
  },
  'data-api': { temporal: false, cassandra: false, testServer: false },
};

/** Everything the server's task prints goes to the terminal (Nx) and to its log file. */
function tee(file: string): NodeJS.WritableStream {
  mkdirSync(TEST_STATE_DIR, { recursive: true });
  const log = createWriteStream(file, { flags: 'w' });
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stderr.write(chunk);
      log.write(chunk, () => done());
    },
  });
}

/** Runs `name` until a signal; resolves with the exit code. */
export async function serveTestServer(
  name: TestServerName,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const out = tee(testServerLog(name));
  const log = createLogger(name, out);
  // Fresh at every start, and in a fixed place rather than a new temp directory: when a JVM is slow
  // to stop, Nx's graceful kill ends with SIGKILL before this process can clean up, and the next
  // start is then what removes it.
  const dataDir = join(TEST_STATE_DIR, `${name}.data`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const supervisor = new Supervisor(log, out, { restart: RESTART });
  writeTaskPid(name, process.pid);
  let closeDataApi: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    removeReadyFile(name, process.pid);
    await supervisor.stopAll();
    await closeDataApi?.();
    rmSync(dataDir, { recursive: true, force: true });
    removeTaskPid(name, process.pid);
    process.exit(code);
  };
  // Nx stops a continuous task by signalling its whole process tree, so the server may see the
  // SIGTERM before this process does: a server ending that way is being stopped, not crashed.
  supervisor.on('exit', (e) => {
    if (e.signal === 'SIGTERM' || e.exitCode === 143 || e.exitCode === 0) void stop(0);
  });
  // Being stopped is how a continuous task ends: not a failure.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    const ready = await start(name, env, { log, supervisor, dataDir });
    closeDataApi = ready.close;
    writeReadyFile({ name, pid: process.pid, address: ready.address, env: ready.env });
    log.info(`ready on ${ready.address}`);
    await supervisor.watch();
    return 0;
  } catch (error) {
    log.error(error instanceof Error ? error.message : String(error));
    await stop(1);
    return 1;
  }
}

interface Started {
  readonly address: string;
  readonly env: Record<string, string>;
  readonly close?: () => Promise<void>;
}

async function start(
  name: TestServerName,
  env: NodeJS.ProcessEnv,
  ctx: { readonly log: Logger; readonly supervisor: Supervisor; readonly dataDir: string },
): Promise<Started> {
  const config = testStackConfig(env);
  const ports = testPorts(env);
  const where = endpoints(config);
  if (name === 'data-api') {
    // The stock limit of 5 collections, as a self-managed Data API has.
    await assertPortFree(ports.dataApi, 'the test Data API emulator', 'DATA_API_TEST_PORT');
    const api = await serveDataApi(createDataApiEmulator({ maxCollections: 5 }), {
      port: ports.dataApi,
    });
    return {
      address: `127.0.0.1:${ports.dataApi}`,
      env: { INVINCIBLE_TEST_DATA_API_ENDPOINT: api.url },
      close: () => api.close(),
    };
  }
  const provisioned = await provision(config, NEEDS[name], env, ctx.log);
  if (name === 'temporal-cassandra') {
    // Nx started the Cassandra task too, but does not wait for it: this server's schema needs it.
    const cassandra = env['TEST_CASSANDRA_CONTACT_POINTS']
      ? env['TEST_CASSANDRA_CONTACT_POINTS']
      : (await waitForServer('cassandra')).env['INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'];
    if (!provisioned.temporalServer || !cassandra) {
      throw new Error('the Temporal server or its Cassandra is missing');
    }
    await ctx.supervisor.start(
      localTemporalOnCassandra({
        name,
        server: provisioned.temporalServer.server,
        schemaTool: provisioned.temporalServer.schemaTool,
        port: ports.temporalOnCassandra,
        namespace: 'default',
        historyShards: 4,
        keyspace: TEMPORAL_TEST_KEYSPACE,
        createKeyspace: true,
        replicationFactor: 1,
        cassandra: plainCassandraAt(cassandra),
        dataDir: join(ctx.dataDir, 'temporal-cassandra'),
        env,
        log: ctx.log,
      }),
    );
    const address = `127.0.0.1:${ports.temporalOnCassandra}`;
    return { address, env: { INVINCIBLE_TEST_TEMPORAL_CASSANDRA_ADDRESS: address } };
  }
  const specs = serverSpecs(config, provisioned, {
    ephemeral: true,
    dataDir: ctx.dataDir,
    env,
    log: ctx.log,
  }).filter((s) => (name === 'cassandra' ? /^cassandra/.test(s.name) : !/^cassandra/.test(s.name)));
  for (const spec of specs) await ctx.supervisor.start(spec);
  if (name === 'cassandra') {
    const contactPoints = where.cassandraContactPoints ?? '';
    return {
      address: contactPoints.split(',')[0] ?? '',
      env: {
        INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS: contactPoints,
        INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER: where.cassandraLocalDataCenter,
      },
    };
  }
  return {
    address: where.temporalAddress,
    env: { INVINCIBLE_TEST_TEMPORAL_ADDRESS: where.temporalAddress },
  };
}
