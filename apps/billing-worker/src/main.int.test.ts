import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BILLING_TASK_QUEUE } from '@invincible/workflows';
import { requireTestEnv } from '@invincible/workflows/testing';
import { Connection } from '@temporalio/client';

const REPO_ROOT = join(__dirname, '..', '..', '..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(what: string, predicate: () => Promise<boolean> | boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface Proc {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | NodeJS.Signals>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  // Its own process group, so that a kill reaches whatever it spawned.
  const child = spawn(command, args, { cwd: REPO_ROOT, env, detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'SIGKILL')),
  );
  return { child, output: () => output, exited };
}

function killGroup(proc: Proc | undefined, signal: NodeJS.Signals): void {
  if (proc?.child.pid === undefined || proc.child.exitCode !== null) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // already gone
  }
}

/** The Temporal CLI's dev server on `port`, in memory, as tools/src/servers/temporal-dev.ts runs it. */
function temporalDev(port: number, httpPort: number): Proc {
  return start(
    requireTestEnv('TEMPORAL_CLI_PATH'),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--headless',
      '--log-level',
      'error',
    ],
    { PATH: process.env['PATH'] },
  );
}

async function pollers(address: string): Promise<number> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: BILLING_TASK_QUEUE },
      taskQueueType: 1, // workflow
    });
    return pollers.length;
  } catch {
    return 0;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function readyz(port: number): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.status, body: await res.json() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

/**
 * The real worker process (from source, as `npm start` runs it) started before Temporal: it
 * waits with backoff instead of exiting, becomes ready once a Temporal dev server comes up on
 * its port, survives that server's SIGKILL and 20 s of absence, and polls again once it is back.
 * Its `/readyz` follows: 503 while connecting or cut off, 200 while polling.
 */
describe('billing worker through Temporal outages (real processes)', () => {
  jest.setTimeout(300_000);
  let worker: Proc | undefined;
  let temporal: Proc | undefined;

  afterAll(async () => {
    killGroup(worker, 'SIGKILL');
    killGroup(temporal, 'SIGKILL');
    await Promise.all([worker?.exited, temporal?.exited]);
  });

  it('waits for Temporal, becomes ready, and rides out a Temporal restart', async () => {
    const [temporalPort, httpPort, healthPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const address = `127.0.0.1:${temporalPort}`;
    worker = start(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        join('apps', 'billing-worker', 'src', 'main.ts'),
      ],
      {
        PATH: process.env['PATH'],
        TEMPORAL_ADDRESS: address,
        HEALTH_PORT: String(healthPort),
        // The worker polls without the database; its activities are not exercised here.
        CASSANDRA_CONTACT_POINTS: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        CASSANDRA_KEYSPACE: 'worker_outage_unused',
        REPOSITORY_MIGRATE: 'false',
        LOG_LEVEL: 'info',
      },
    );
    const diagnose = (error: unknown) =>
      new Error(
        `${String(error)}\n--- worker ---\n${worker?.output() ?? ''}\n--- temporal ---\n${temporal?.output() ?? ''}`,
      );
    try {
      // Nothing listens on the port yet: the worker retries (it used to exit here) and says so.
      await waitFor(
        'two connection retries',
        () => (worker?.output().match(/unreachable: .*?; retrying in/g) ?? []).length >= 2,
        60_000,
      );
      expect(worker.child.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      expect(await readyz(healthPort)).toEqual({
        status: 503,
        body: { status: 'not ready', reason: 'connecting to Temporal' },
      });

      temporal = temporalDev(temporalPort, httpPort);
      await waitFor(
        'a poller on the billing task queue',
        async () => (await pollers(address)) > 0,
        150_000,
      );
      await waitFor('/readyz → 200', async () => (await readyz(healthPort)).status === 200, 30_000);

      // Temporal dies under the running worker and stays away 20 s.
      killGroup(temporal, 'SIGKILL');
      await temporal.exited;
      await waitFor(
        '/readyz → 503 once Temporal is gone',
        async () => (await readyz(healthPort)).status === 503,
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect(worker.child.exitCode).toBeNull();

      temporal = temporalDev(temporalPort, httpPort);
      await waitFor(
        'a poller again after the restart',
        async () => (await pollers(address)) > 0,
        150_000,
      );
      await waitFor(
        '/readyz → 200 again',
        async () => (await readyz(healthPort)).status === 200,
        60_000,
      );
    } catch (error) {
      throw diagnose(error);
    }

    // SIGTERM: a clean stop.
    killGroup(worker, 'SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
