import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const run = promisify(execFile);

/** A variable `npm test` sets; the suite fails (never skips) without it. */
export function fromTestRun(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end suite through \`npm test\``);
  return value;
}

/**
 * The whole stack as a user starts it: `npm start`, whose supervisor runs the api and both
 * workers from source — here against the shared test Temporal (in a namespace of its own) and the
 * shared test Cassandra (in a keyspace of its own), so nothing else is started.
 */
export class LocalStack {
  private child: ChildProcess | undefined;
  private log = '';
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'invincible-e2e-'));
  baseUrl = '';

  constructor(
    private readonly options: {
      readonly namespace: string;
      readonly keyspace: string;
      readonly apiKey: string;
      /** The variable holding the address of the Temporal server to run on. */
      readonly temporalVariable: string;
      /**
       * Where the business data lives (in `keyspace`): the shared test Cassandra, or the test
       * run's self-managed Data API (`INVINCIBLE_TEST_DATA_API_ENDPOINT`).
       */
      readonly database: 'cassandra' | 'data-api';
      /** The built console for the API to serve under /console; none by default. */
      readonly consoleDir?: string;
      /** More variables for `npm start` and the apps. */
      readonly env?: Readonly<Record<string, string>>;
    },
  ) {}

  async start(): Promise<void> {
    const temporalAddress = fromTestRun(this.options.temporalVariable);
    const cli = fromTestRun('TEMPORAL_CLI_PATH');
    await run(cli, [
      'operator',
      'namespace',
      'create',
      '--namespace',
      this.options.namespace,
      '--address',
      temporalAddress,
    ]);
    const port = await unusedPort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      FORCE_COLOR: '0',
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: this.options.namespace,
      ...(this.options.database === 'data-api'
        ? {
            ASTRA_DB_API_ENDPOINT: fromTestRun('INVINCIBLE_TEST_DATA_API_ENDPOINT'),
            ASTRA_DB_ENVIRONMENT: 'cassandra',
            ASTRA_DB_USERNAME: 'cassandra',
            ASTRA_DB_PASSWORD: 'cassandra',
            ASTRA_DB_KEYSPACE: this.options.keyspace,
          }
        : {
            CASSANDRA_CONTACT_POINTS: fromTestRun('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
            CASSANDRA_KEYSPACE: this.options.keyspace,
          }),
      API_PORT: String(port),
      API_KEYS: `e2e:${this.options.apiKey}`,
      INVINCIBLE_DATA_DIR: this.dataDir,
      // The built console when asked for, else none (empty: npm start neither builds nor serves
      // one — never a nested Nx build inside a test run).
      CONSOLE_DIR: this.options.consoleDir ?? '',
      LOG_LEVEL: 'warn',
      ...this.options.env,
    };
    // Its own process group, like a terminal's foreground job: Ctrl-C reaches all of it.
    this.child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true });
    this.child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const exited = new Promise<void>((resolve) => this.child?.once('exit', () => resolve()));
    const up = (async () => {
      while (!this.log.includes('Invincible is up')) await pause(250);
    })();
    const outcome = await Promise.race([
      up.then(() => 'up'),
      exited.then(() => 'exited'),
      deadline(180_000, 'timeout'),
    ]);
    if (outcome !== 'up') throw new Error(`npm start ${outcome}:\n${this.log.slice(-4_000)}`);
  }

  /** Ctrl-C, as a user would; SIGKILL for whatever has not stopped after 40 s. */
  async stop(): Promise<void> {
    const group = this.child?.pid;
    if (group !== undefined && this.child?.exitCode === null) {
      const exited = new Promise((resolve) => this.child?.once('exit', resolve));
      process.kill(-group, 'SIGINT');
      if ((await Promise.race([exited, deadline(40_000, 'late')])) === 'late')
        process.kill(-group, 'SIGKILL');
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  output(): string {
    return this.log;
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `value` after `ms`, on a timer that does not keep the process alive: a race lost to it must not
 * hold jest open for the rest of its time.
 */
const deadline = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms).unref());

async function unusedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const address = probe.address();
  probe.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
