import { SUBSCRIPTION_WORKFLOW_TYPE, subscriptionWorkflowId } from '@invincible/workflows';
import { requireTestEnv } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import { spawnApi, type ApiProcess } from './testing/api-process';

const KEY = 'shutdown-secret-0123456789abcdef';

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
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
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
    const started = await spawnApi({
      TEMPORAL_ADDRESS: temporalAddress,
      // No database: this test is about HTTP shutdown (GET /readyz reports it down anyway).
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
      REPOSITORY_MIGRATE: 'false',
      API_KEYS: `test:${KEY}`,
      UPDATE_TIMEOUT_MS: '4000',
      SHUTDOWN_DELAY_MS: '3000',
      LOG_LEVEL: 'info',
    });
    api = started;
    const { base, exited } = started;
    try {
      for (let i = 0; i < 120 && !started.output().includes('api listening'); i++)
        await new Promise((resolve) => setTimeout(resolve, 250));
      expect(started.output()).toContain('api listening');
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
      started.child.kill('SIGTERM');
      for (let i = 0; i < 40 && !started.output().includes('shutting down'); i++)
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
      throw new Error(`${String(error)}\n--- api output ---\n${started.output()}`);
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });
});
