import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SUBSCRIPTION_WORKFLOW_TYPE, subscriptionWorkflowId } from '@invincible/workflows';
import { requireTestEnv } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const KEY = 'shutdown-secret-0123456789abcdef';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The real API process (from source, as `npm start` runs it) on SIGTERM: `/readyz` answers 503
 * at once while the server keeps listening for SHUTDOWN_DELAY_MS, the request in flight still
 * gets its answer, and the process then exits 0.
 */
describe('API shutdown (real process)', () => {
  jest.setTimeout(120_000);
  const temporalAddress = requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS');
  const run = Date.now().toString(36);
  let connection: Connection;
  let api: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
  });
  afterAll(async () => {
    if (api?.exitCode === null) api.kill('SIGKILL');
    await connection?.close();
  });

  it('fails /readyz at once on SIGTERM, finishes the request in flight, then exits', async () => {
    // A subscription workflow on a task queue nobody polls: its Update waits out its deadline,
    // which makes a request that is still in flight when SIGTERM arrives.
    const client = new Client({ connection });
    const handle = await client.workflow.start(SUBSCRIPTION_WORKFLOW_TYPE, {
      workflowId: subscriptionWorkflowId(`sub_shutdown_${run}`),
      taskQueue: `nobody-${run}`,
      args: [{}],
    });
    const port = await freePort();
    api = spawn(
      process.execPath,
      ['--conditions=@invincible/source', '--import', 'tsx', join('apps', 'api', 'src', 'main.ts')],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env['PATH'],
          PORT: String(port),
          HOST: '127.0.0.1',
          TEMPORAL_ADDRESS: temporalAddress,
          // No database: this test is about HTTP shutdown (GET /readyz reports it down anyway).
          CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
          REPOSITORY_MIGRATE: 'false',
          API_KEYS: `test:${KEY}`,
          UPDATE_TIMEOUT_MS: '4000',
          SHUTDOWN_DELAY_MS: '3000',
          LOG_LEVEL: 'info',
        },
      },
    );
    api.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => api?.once('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    try {
      for (let i = 0; i < 120 && !output.includes('api listening'); i++)
        await new Promise((resolve) => setTimeout(resolve, 250));
      expect(output).toContain('api listening');
      // Before SIGTERM /readyz consults its dependencies (the database is away: 503 naming it).
      const before = await fetch(`${base}/readyz`);
      expect(((await before.json()) as { detail: string }).detail).toMatch(/database/);

      const inFlight = fetch(`${base}/v1/subscriptions/sub_shutdown_${run}/cancel`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': 'application/json',
          'idempotency-key': `k-${run}`,
        },
        body: JSON.stringify({ mode: 'now' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      api.kill('SIGTERM');
      for (let i = 0; i < 40 && !output.includes('shutting down'); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));

      const during = await fetch(`${base}/readyz`);
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await during.json()).toMatchObject({
        detail: expect.stringMatching(/Shutting down/) as unknown,
      });
      // Liveness is unaffected: the process is alive, only leaving.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      // The request in flight still gets its answer (the Update's deadline: 503, safe to retry).
      const answered = await inFlight;
      expect(answered.status).toBe(503);
      expect(await exited).toBe(0);
    } catch (error) {
      throw new Error(`${String(error)}\n--- api output ---\n${output}`);
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });
});
