import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/** A port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The API as its own process, as `npm start` runs it. */
export interface ApiProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts the API from source (`apps/api/src/main.ts`) on a free port of 127.0.0.1 with `env` and
 * nothing else of this process's environment but PATH: what a test sets is all it gets.
 */
export async function spawnApi(env: Readonly<Record<string, string>>): Promise<ApiProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(
    process.execPath,
    ['--conditions=@invincible/source', '--import', 'tsx', join('apps', 'api', 'src', 'main.ts')],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], PORT: String(port), HOST: '127.0.0.1', ...env },
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, exited };
}
