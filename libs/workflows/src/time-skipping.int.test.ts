import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { monthlyTicks, stopSignal, ticksQuery } from './testing/fixtures/monthly-tick-workflows';
import { createTimeSkippingEnv } from './testing';

describe("Temporal's time-skipping test server, as npm test provisions it", () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  }, 60_000);
  afterAll(() => env?.teardown());

  /** A worker runs once: each scenario gets its own. */
  async function withWorker<T>(body: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'time-skipping-probe',
      workflowsPath: require.resolve('./testing/fixtures/monthly-tick-workflows'),
    });
    return worker.runUntil(body);
  }

  it('skips a year of 30-day timers in seconds', async () => {
    const started = Date.now();
    const result = await withWorker(async () => {
      const handle = await env.client.workflow.start(monthlyTicks, {
        taskQueue: 'time-skipping-probe',
        workflowId: 'probe-year',
        args: [{ maxTicks: 12 }],
      });
      return handle.result();
    });
    expect(result.ticks).toBe(12);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(360 * 24 * 3600 * 1000);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('answers a query and a signal between skipped timers', async () => {
    await withWorker(async () => {
      const handle = await env.client.workflow.start(monthlyTicks, {
        taskQueue: 'time-skipping-probe',
        workflowId: 'probe-stop',
        args: [{ maxTicks: 1_000 }],
      });
      await env.sleep('65 days');
      expect(await handle.query(ticksQuery)).toBe(2);
      await handle.signal(stopSignal);
      expect((await handle.result()).ticks).toBe(2);
    });
  });
});
