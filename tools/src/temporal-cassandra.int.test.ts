import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client as CqlClient } from 'cassandra-driver';
import { REPO_ROOT } from './paths';
import { TEMPORAL_CASSANDRA_SCHEMA_VERSION } from './provision/versions';
import {
  cleanStackEnv,
  STACK_CLI,
  freePort,
  freeTemporalPorts,
  isAlive,
  spawnCollecting,
  waitFor,
  type Spawned,
} from './testing/processes';
import { testCassandra } from './testing/test-env';

/**
 * `TEMPORAL_PERSISTENCE=cassandra` end to end, through the CLI as a developer runs it, on the
 * shared test Cassandra (a keyspace per test): workflows survive a SIGKILLed server (restarted by
 * the stack's supervisor) with every timer fired exactly once, and each misconfiguration ends in
 * one line naming what to fix.
 */

const run = Date.now().toString(36);

describe('Temporal on Cassandra (TEMPORAL_PERSISTENCE=cassandra)', () => {
  jest.setTimeout(300_000);
  let dataDir: string;
  let cassandraHost: string;
  let cassandraPort: string;
  const stacks: Spawned[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'invincible-temporal-cassandra-'));
    ({ host: cassandraHost, port: cassandraPort } = testCassandra());
  });

  afterAll(() => {
    for (const stack of stacks) {
      if (stack.child.pid !== undefined && isAlive(stack.child.pid)) {
        process.kill(-stack.child.pid, 'SIGKILL');
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm run stack -- up --only temporal` on Temporal-on-Cassandra, in its own process group. */
  function up(extra: NodeJS.ProcessEnv): Spawned {
    const stack = spawnCollecting(process.execPath, [...STACK_CLI, 'up', '--only', 'temporal'], {
      cwd: REPO_ROOT,
      detached: true,
      env: cleanStackEnv({
        TEMPORAL_PERSISTENCE: 'cassandra',
        CASSANDRA_CONTACT_POINTS: `${cassandraHost}:${cassandraPort}`,
        TEMPORAL_CASSANDRA_HOSTS: cassandraHost,
        TEMPORAL_CASSANDRA_PORT: cassandraPort,
        TEMPORAL_CASSANDRA_REPLICATION_FACTOR: '1',
        INVINCIBLE_DATA_DIR: dataDir,
        ...extra,
      }),
    });
    stacks.push(stack);
    return stack;
  }

  async function waitUp(stack: Spawned): Promise<void> {
    try {
      await waitFor(
        'the "Invincible is up" banner',
        () => stack.output().includes('Invincible is up'),
        240_000,
      );
    } catch (error) {
      throw new Error(`${String(error)}\n${stack.output()}`);
    }
  }

  /** One line of error, no stack trace, no server started, exit code 1. */
  async function expectOneLineFailure(stack: Spawned, message: RegExp): Promise<void> {
    expect(await stack.exited).toBe(1);
    const output = stack.output();
    expect(output).toMatch(message);
    expect(output.match(message)).toHaveLength(1);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toMatch(/started temporal/);
  }

  it('resumes every workflow after a SIGKILLed server, each timer fired exactly once', async () => {
    const [port, uiPort] = [await freeTemporalPorts(), await freePort()];
    const address = `127.0.0.1:${port}`;
    const env = {
      TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_CASSANDRA_KEYSPACE: `temporal_durability_${run}`,
    };
    const first = up(env);
    await waitUp(first);
    // The Web UI is served beside it.
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    const serverPid = Number(/started temporal \(pid (\d+)\)/.exec(first.output())?.[1]);

    const taskQueue = `durability-${run}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue,
      workflowsPath: require.resolve('./testing/persistence-workflows'),
    });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const intervalMs = 3_000;
    const workflows = 10;
    await worker.runUntil(async () => {
      const handles = await Promise.all(
        Array.from({ length: workflows }, (_, i) =>
          client.workflow.start('timers', {
            taskQueue,
            workflowId: `durability-${run}-${i}`,
            args: [{ count: 3, intervalMs }],
          }),
        ),
      );
      // Inside the second timer of every workflow: kill the server outright; the stack's
      // supervisor reports it and starts it again from the same keyspace, on the same port.
      await new Promise((resolve) => setTimeout(resolve, intervalMs + 1_500));
      process.kill(serverPid, 'SIGKILL');
      try {
        await waitFor(
          'the server restarted by the supervisor and ready',
          () => (first.output().match(/temporal ready in/g) ?? []).length >= 2,
          240_000,
        );
      } catch (error) {
        throw new Error(`${String(error)}\n${first.output()}`);
      }
      expect(first.output()).toMatch(/temporal \(pid \d+\) died: signal SIGKILL/);
      expect(first.child.exitCode).toBeNull();

      const results = await Promise.all(handles.map((h) => h.result() as Promise<number[]>));
      for (const lags of results) {
        expect(lags).toHaveLength(3);
        for (const lag of lags) expect(lag).toBeGreaterThanOrEqual(0);
      }
      for (const handle of handles) {
        const events = (await handle.fetchHistory()).events ?? [];
        const started = events.filter((e) => e.timerStartedEventAttributes);
        const fired = events.filter((e) => e.timerFiredEventAttributes);
        const firedIds = fired.map((e) => e.timerFiredEventAttributes?.timerId);
        expect(started).toHaveLength(3);
        expect(fired).toHaveLength(3);
        expect(new Set(firedIds).size).toBe(3);
      }
      process.kill(-(first.child.pid ?? 0), 'SIGINT');
      expect(await first.exited).toBe(130);
    });
    await connection.close();
  });

  it('names the variable when Cassandra is unreachable', async () => {
    const closed = await freePort();
    const stack = up({
      TEMPORAL_PORT: String(await freeTemporalPorts()),
      TEMPORAL_CASSANDRA_PORT: String(closed),
    });
    await expectOneLineFailure(
      stack,
      new RegExp(
        `Temporal's Cassandra at ${cassandraHost}:${closed} refused the connection: start it, or fix TEMPORAL_CASSANDRA_HOSTS / TEMPORAL_CASSANDRA_PORT`,
      ),
    );
  });

  it('names the variable when the contact point is not Cassandra', async () => {
    // Something listening that never speaks CQL, like a wrong port on a real host.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const stack = up({
        TEMPORAL_PORT: String(await freeTemporalPorts()),
        TEMPORAL_CASSANDRA_HOSTS: '127.0.0.1',
        TEMPORAL_CASSANDRA_PORT: String(port),
      });
      await expectOneLineFailure(
        stack,
        /Temporal's Cassandra at 127\.0\.0\.1:\d+ did not answer CQL within 10 s \(unreachable, or not a Cassandra native-protocol port\): fix TEMPORAL_CASSANDRA_HOSTS \/ TEMPORAL_CASSANDRA_PORT/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a keyspace whose schema is newer than the server, naming both versions', async () => {
    const keyspace = `temporal_newer_${run}`;
    const cql = new CqlClient({
      contactPoints: [`${cassandraHost}:${cassandraPort}`],
      localDataCenter: 'datacenter1',
    });
    try {
      await cql.execute(
        `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      );
      // The versioning table the schema tool keeps, as a newer server would have left it.
      await cql.execute(
        `CREATE TABLE ${keyspace}.schema_version (keyspace_name text PRIMARY KEY, creation_time timestamp, curr_version text, min_compatible_version text)`,
      );
      await cql.execute(
        `INSERT INTO ${keyspace}.schema_version (keyspace_name, creation_time, curr_version, min_compatible_version) VALUES (?, toTimestamp(now()), '1.99', '1.99')`,
        [keyspace],
        { prepare: true },
      );
    } finally {
      await cql.shutdown();
    }
    const stack = up({
      TEMPORAL_PORT: String(await freeTemporalPorts()),
      TEMPORAL_CASSANDRA_KEYSPACE: keyspace,
    });
    await expectOneLineFailure(
      stack,
      new RegExp(
        `keyspace ${keyspace} holds Temporal schema 1\\.99, newer than ${TEMPORAL_CASSANDRA_SCHEMA_VERSION.replace('.', '\\.')} of the Temporal server v1\\.29\\.1 here: run a server of that version, or choose another keyspace with TEMPORAL_CASSANDRA_KEYSPACE`,
      ),
    );
  });

  it('rejects Temporal-on-Cassandra together with TEMPORAL_ADDRESS before doing anything', async () => {
    const stack = up({ TEMPORAL_ADDRESS: '127.0.0.1:7233' });
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toMatch(
      /TEMPORAL_PERSISTENCE=cassandra starts a local Temporal server, TEMPORAL_ADDRESS uses an existing one: unset one of them/,
    );
    expect(stack.output()).not.toMatch(/\n\s+at /);
  });
});
