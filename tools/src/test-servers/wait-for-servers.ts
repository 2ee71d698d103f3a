/**
 * The waiting side of the test-server tasks: Nx starts a continuous task and, without a
 * readiness signal of its own, runs the tasks that depend on it at once. A test run therefore
 * polls until each server it needs has a ready file whose task is alive and whose address
 * answers, and fails with one error naming the server, its task and its log otherwise.
 */
import { connect } from 'node:net';
import { isAlive } from '../pid';
import {
  readProvisionedTools,
  readReadyFile,
  readTaskPid,
  TEST_SERVERS,
  testServerLog,
  type ReadyFile,
  type TestServerName,
} from './state';

/** Cold Cassandra under a busy 2-core machine takes about a minute; Temporal on it, more. */
export const DEFAULT_WAIT_MS = 240_000;

/** The variable whose presence means "given by the caller: nothing to wait for". */
const GIVEN_BY: Record<TestServerName, string> = {
  cassandra: 'INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS',
  temporal: 'INVINCIBLE_TEST_TEMPORAL_ADDRESS',
  'temporal-cassandra': 'INVINCIBLE_TEST_TEMPORAL_CASSANDRA_ADDRESS',
  'data-api': 'INVINCIBLE_TEST_DATA_API_ENDPOINT',
};

export class TestServerNotReadyError extends Error {
  override readonly name = 'TestServerNotReadyError';
  constructor(
    readonly server: TestServerName,
    waitedMs: number,
  ) {
    super(
      `test server ${server} did not become ready within ${Math.round(waitedMs / 1000)} s. ` +
        `It is started by the Nx task tools:${server}: see its log ${testServerLog(server)}; ` +
        `if that log is missing, add { "projects": ["tools"], "target": "${server}" } to this ` +
        `target's dependsOn (or run it: npx nx run tools:${server}).`,
    );
  }
}

function answers(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The ready file of `name` once its task is alive and its address answers. */
export async function waitForServer(
  name: TestServerName,
  options: {
    readonly timeoutMs?: number;
    /** Where ready files come from (tests give their own). */
    readonly read?: (name: TestServerName) => ReadyFile | undefined;
  } = {},
): Promise<ReadyFile> {
  const { timeoutMs = DEFAULT_WAIT_MS, read = readReadyFile } = options;
  const t0 = Date.now();
  for (;;) {
    const ready = read(name);
    if (ready && isAlive(ready.pid) && (await answers(ready.address))) return ready;
    if (Date.now() - t0 > timeoutMs) throw new TestServerNotReadyError(name, Date.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The variables the suites read for `servers` (waiting for each one not given in `env` already)
 * and for the provisioned tools (unless set): what to add to the test run's environment.
 */
export async function testRunEnv(
  servers: readonly TestServerName[],
  env: NodeJS.ProcessEnv,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Record<string, string>> {
  const added: Record<string, string> = {};
  const waited = await Promise.all(
    servers.filter((s) => !env[GIVEN_BY[s]]).map((s) => waitForServer(s, { timeoutMs })),
  );
  for (const ready of waited) Object.assign(added, ready.env);
  for (const [name, value] of Object.entries(readProvisionedTools() ?? {})) {
    if (!env[name]) added[name] = value;
  }
  return added;
}

/**
 * Resolves once no test-server task is still stopping (its pid file gone or its process dead), or
 * after `timeoutMs`, naming those still running: `npm test` calls it after Nx exits.
 */
export async function waitForServerTasksToStop(
  options: {
    readonly timeoutMs?: number;
    readonly pollMs?: number;
    /** Where task pids come from (tests give their own). */
    readonly readPid?: (name: TestServerName) => number | undefined;
  } = {},
): Promise<TestServerName[]> {
  const { timeoutMs = 60_000, pollMs = 250, readPid = readTaskPid } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = TEST_SERVERS.filter((name) => {
      const pid = readPid(name);
      return pid !== undefined && isAlive(pid);
    });
    if (running.length === 0 || Date.now() > deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
