import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { IsolatedPorts } from '../config';
import { REPO_ROOT } from '../paths';
import { temporalServerPorts } from '../servers/temporal-cassandra';

/** A spawned process whose combined output is collected for assertions. */
export interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

export function spawnCollecting(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): Spawned {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'SIGKILL')),
  );
  return { child, output: () => output, exited };
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export { isAlive } from '../pid';

/** Free ports for every server of an isolated stack (`isolatedStackConfig`): a soak's, a bench's. */
export async function freeIsolatedPorts(): Promise<IsolatedPorts> {
  return {
    cql: await freePort(),
    storage: await freePort(),
    // Node N's is jmx + N − 1 (each is checked free before its node starts).
    jmx: await freePort(),
    temporal: await freePort(),
    ui: await freePort(),
  };
}

/** The environment of a developer's shell, minus anything that would point at other servers. */
export function cleanStackEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(TEMPORAL_|CASSANDRA_|ASTRA_|INVINCIBLE_|API_PORT)/.test(key)) delete env[key];
  }
  return { ...env, FORCE_COLOR: '0', ...extra };
}

/** Node arguments that run the stack's CLI from source, as the npm scripts do. */
export const STACK_CLI = [
  '--conditions=@invincible/source',
  '--import',
  'tsx',
  join(REPO_ROOT, 'tools', 'src', 'cli.ts'),
] as const;

/**
 * A frontend port whose derived ports (300 below to 10 above) are all free: drawn below the
 * kernel's ephemeral range, where outgoing connections take ports at any moment, and each port
 * checked by binding it.
 */
export async function freeTemporalPorts(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const all = Object.values(temporalServerPorts(port));
    if ((await Promise.all(all.map(canBind))).every(Boolean)) return port;
  }
  throw new Error('no free set of Temporal ports between 19700 and 30010');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
