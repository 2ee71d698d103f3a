import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';
import {
  cleanStackEnv,
  STACK_CLI,
  freePort,
  isAlive,
  spawnCollecting,
  waitFor,
} from './testing/processes';
import { testEnv } from './testing/test-env';

describe('the supervisor behind `npm start`', () => {
  jest.setTimeout(180_000);
  let dataDir: string;
  /** The stack's process group while it may run: a failed expectation must not leave it up. */
  let running: number | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'invincible-supervisor-'));
  });
  afterEach(() => {
    if (running !== undefined) {
      try {
        process.kill(-running, 'SIGKILL');
      } catch {
        // Already gone.
      }
      running = undefined;
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('brings the stack up, restarts a process that dies, and Ctrl-C (SIGINT to the process group) leaves no process behind', async () => {
    const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const npm = spawnCollecting('npm', ['start'], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, like a terminal's foreground job
      env: cleanStackEnv({
        TEMPORAL_CLI_PATH: testEnv('TEMPORAL_CLI_PATH'),
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        API_PORT: String(apiPort),
        // The shared test Cassandra: given by address, so none is started for this stack.
        CASSANDRA_CONTACT_POINTS: testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        INVINCIBLE_DATA_DIR: dataDir,
      }),
    });
    const group = npm.child.pid;
    if (group === undefined) throw new Error('npm start did not spawn');
    running = group;
    try {
      await waitFor(
        'the "Invincible is up" banner',
        () => npm.output().includes('Invincible is up'),
        150_000,
      );
    } catch (error) {
      process.kill(-group, 'SIGKILL');
      throw new Error(`${String(error)}\n${npm.output()}`);
    }

    const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { temporal: 'up', database: 'up', searchAttributes: 'up' },
    });
    // The console, built by npm start (a cache hit once built) and served by the API.
    expect(npm.output()).toContain(`Console        http://127.0.0.1:${apiPort}/console/`);
    const console = await fetch(`http://127.0.0.1:${apiPort}/console/customers`);
    expect(console.status).toBe(200);
    expect(await console.text()).toContain('<div id="root">');
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    expect(npm.output()).not.toMatch(/started cassandra/);

    const pids = [...npm.output().matchAll(/started ([\w-]+) \(pid (\d+)\)/g)].map((m) => ({
      name: m[1],
      pid: Number(m[2]),
    }));
    // The workers first: each registers the search attributes the API's readiness needs.
    expect(pids.map((p) => p.name)).toEqual([
      'temporal',
      'billing-worker',
      'loyalty-worker',
      'api',
    ]);
    expect(pids.every((p) => isAlive(p.pid))).toBe(true);

    // A process that dies is reported and restarted; the others keep running.
    const billing = pids.find((p) => p.name === 'billing-worker');
    if (!billing) throw new Error('no billing-worker');
    process.kill(-billing.pid, 'SIGKILL');
    const count = (re: RegExp) => (npm.output().match(re) ?? []).length;
    try {
      await waitFor(
        'billing-worker restarted and ready',
        () => count(/billing-worker ready in/g) >= 2,
        120_000,
      );
    } catch (error) {
      process.kill(-group, 'SIGKILL');
      throw new Error(`${String(error)}\n${npm.output()}`);
    }
    expect(npm.output()).toMatch(/billing-worker \(pid \d+\) died: signal SIGKILL/);
    expect(npm.output()).toMatch(/restarting billing-worker in 1\.0 s \(attempt 1\)/);
    const restarted = [...npm.output().matchAll(/started billing-worker \(pid (\d+)\)/g)].map((m) =>
      Number(m[1]),
    );
    expect(restarted).toHaveLength(2);
    expect(isAlive(restarted[1] ?? 0)).toBe(true);
    expect(pids.filter((p) => p.name !== 'billing-worker').every((p) => isAlive(p.pid))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);
    pids.push({ name: 'billing-worker', pid: restarted[1] ?? 0 });

    process.kill(-group, 'SIGINT');
    await npm.exited;
    running = undefined;
    await waitFor(
      'every supervised process to exit',
      () => pids.every((p) => !isAlive(p.pid)),
      10_000,
    );
    // Apps stop before the server they use.
    const order = [...npm.output().matchAll(/stopping ([\w-]+) \(pid/g)].map((m) => m[1]);
    expect(order).toEqual(['api', 'loyalty-worker', 'billing-worker', 'temporal']);
  });

  it('refuses a port that is already taken, naming the port and its role', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = spawnCollecting(process.execPath, [...STACK_CLI, 'up', '--only', 'temporal'], {
        cwd: REPO_ROOT,
        env: cleanStackEnv({
          TEMPORAL_CLI_PATH: testEnv('TEMPORAL_CLI_PATH'),
          TEMPORAL_PORT: String(port),
          INVINCIBLE_DATA_DIR: dataDir,
        }),
      });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain(
        `port ${port} (Temporal frontend (gRPC)) is already in use on 127.0.0.1: stop what holds it, or choose another port with TEMPORAL_PORT=<port>`,
      );
      expect(cli.output()).not.toMatch(/started temporal/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it.each([
    [
      'temporal',
      /Go \(1\.23 or newer, to build the Temporal CLI\) was not found\. .*TEMPORAL_ADDRESS/,
    ],
    ['cassandra', /Java \(JDK or JRE 17\) was not found\. .*CASSANDRA_CONTACT_POINTS/],
  ])(
    'says what to install, or which variable to set, when %s cannot be provisioned',
    async (server, message) => {
      const emptyCache = mkdtempSync(join(tmpdir(), 'invincible-empty-cache-'));
      // A PATH with node and nothing else: no go, no java, no mvn, no temporal.
      const bin = join(emptyCache, 'bin');
      mkdirSync(bin);
      symlinkSync(process.execPath, join(bin, 'node'));
      try {
        const cli = spawnCollecting(process.execPath, [...STACK_CLI, 'up', '--only', server], {
          cwd: REPO_ROOT,
          env: {
            ...cleanStackEnv({ INVINCIBLE_CACHE_DIR: emptyCache, INVINCIBLE_DATA_DIR: dataDir }),
            PATH: bin,
            JAVA_HOME: '',
          },
        });
        expect(await cli.exited).toBe(1);
        expect(cli.output()).toMatch(message);
        expect(cli.output()).not.toMatch(/\n\s+at /); // one line, no stack trace
      } finally {
        rmSync(emptyCache, { recursive: true, force: true });
      }
    },
  );
});
