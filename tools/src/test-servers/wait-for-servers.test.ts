import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { testRunEnv, waitForServer, waitForServerTasksToStop } from './wait-for-servers';
import type { ReadyFile } from './state';

describe('waitForServer', () => {
  let server: Server;
  let address: string;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ready = (over: Partial<ReadyFile> = {}): ReadyFile => ({
    name: 'cassandra',
    pid: process.pid,
    address,
    env: { INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS: address },
    ...over,
  });

  it('answers once the ready file names a live task and its address answers', async () => {
    let reads = 0;
    const found = await waitForServer('cassandra', {
      timeoutMs: 5_000,
      read: () => (++reads < 3 ? undefined : ready()),
    });
    expect(found.env).toEqual({ INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS: address });
    expect(reads).toBe(3);
  });

  it('names the server, its task, its log and the dependsOn to add when it never comes', async () => {
    const error = await waitForServer('temporal-cassandra', {
      timeoutMs: 300,
      read: () => undefined,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/test server temporal-cassandra did not become ready/);
    expect((error as Error).message).toContain('tools:temporal-cassandra');
    expect((error as Error).message).toMatch(/tmp\/test-servers\/temporal-cassandra\.log/);
    expect((error as Error).message).toContain('"target": "temporal-cassandra"');
  });

  it('does not trust a ready file whose task is gone (a SIGKILLed run) or whose port is closed', async () => {
    const gone = waitForServer('cassandra', {
      timeoutMs: 300,
      read: () => ready({ pid: 2 ** 22 + 1 }),
    });
    await expect(gone).rejects.toThrow(/did not become ready/);
    const closed = waitForServer('cassandra', {
      timeoutMs: 300,
      read: () => ready({ address: '127.0.0.1:1' }),
    });
    await expect(closed).rejects.toThrow(/did not become ready/);
  });
});

describe('testRunEnv', () => {
  it('waits for nothing a variable already gives', async () => {
    const env = await testRunEnv(['cassandra', 'temporal'], {
      INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042',
      INVINCIBLE_TEST_TEMPORAL_ADDRESS: '10.0.0.2:7233',
      // Set, so the provisioned paths are not added either.
      TEMPORAL_TEST_SERVER_PATH: '/x',
      TEMPORAL_CLI_PATH: '/x',
      HELM_PATH: '/x',
      INVINCIBLE_TEST_SCHEMATHESIS_PYTHON: '/x',
    });
    expect(env).toEqual({});
  });
});

describe('waitForServerTasksToStop', () => {
  it('waits until a stopping task has exited', async () => {
    // A task that takes a moment to stop its server, as a JVM does after Nx's SIGTERM.
    const task = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 400)']);
    const exited = new Promise<void>((resolve) => task.once('exit', () => resolve()));
    let taskGone = false;
    void exited.then(() => (taskGone = true));
    const running = await waitForServerTasksToStop({
      timeoutMs: 10_000,
      pollMs: 20,
      readPid: (name) => (name === 'cassandra' ? task.pid : undefined),
    });
    expect(running).toEqual([]);
    expect(taskGone).toBe(true);
  });

  it('gives up after its timeout, naming the tasks still running', async () => {
    const running = await waitForServerTasksToStop({
      timeoutMs: 100,
      pollMs: 20,
      readPid: (name) => (name === 'temporal' ? process.pid : undefined),
    });
    expect(running).toEqual(['temporal']);
  });
});
