import {
  BILLING_TASK_QUEUE,
  getPointsQuery,
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltyWorkflowId,
  recordPurchaseUpdate,
  subscriptionWorkflowId,
  type LoyaltyInput,
  type SubscriptionInput,
  type SubscriptionResult,
} from '@invincible/workflows';
import { createTestNamespace } from '@invincible/workflows/testing';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { appSourceArgs } from './apps';
import { REPO_ROOT } from './paths';
import { freePort, spawnCollecting, waitFor, type Spawned } from './testing/processes';
import { testEnv } from './testing/test-env';

/** One sample of Prometheus' text format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Reads `/metrics` (label values here never hold a comma or a quote). */
async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries(
        (m[2] ?? '')
          .split(',')
          .filter(Boolean)
          .map((pair) => {
            const [key = '', quoted = ''] = pair.split('=');
            return [key, quoted.replace(/^"|"$/g, '')];
          }),
      );
      return { name: m[1] ?? '', labels, value: Number(m[3]) };
    });
}

/** The samples named `name`, as `{label=value,…}` → value (the `app` label left out). */
function series(samples: readonly Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === name)) {
    const key = Object.entries(s.labels)
      .filter(([k]) => k !== 'app')
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
    out[`{${key}}`] = s.value;
  }
  return out;
}

/**
 * Both workers as `npm start` runs them (processes from source) with WORKER_METRICS_PORT, on the
 * shared test Temporal and Cassandra, in a namespace and keyspace of their own. A subscription
 * declined once and paid on its dunning retry, then a purchase, and each worker's `/metrics`
 * shows Temporal's SDK metrics and the app's counters with exactly those facts. Then SIGTERM:
 * idle workers exit at once; a worker whose activity ignores its cancellation still exits inside
 * the bound (grace + margin) that README tells orchestrators to exceed.
 */
describe('worker metrics and bounded shutdown (real worker processes)', () => {
  jest.setTimeout(300_000);
  const run = Date.now().toString(36);
  const namespace = `metrics-${run}`;
  const address = testEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS');
  const procs: Spawned[] = [];
  let connection: Connection;
  let client: Client;

  const startWorker = async (
    app: 'billing-worker' | 'loyalty-worker',
    env: Record<string, string> = {},
  ) => {
    const metricsPort = await freePort();
    const proc = spawnCollecting(process.execPath, appSourceArgs(app), {
      cwd: REPO_ROOT,
      detached: true,
      env: {
        PATH: process.env['PATH'],
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        CASSANDRA_CONTACT_POINTS: testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        CASSANDRA_LOCAL_DATA_CENTER:
          process.env['INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1',
        CASSANDRA_KEYSPACE: `metrics_${run}`,
        RECONCILE_INTERVAL: 'off',
        WORKER_METRICS_PORT: String(metricsPort),
        WORKER_SHUTDOWN_GRACE_MS: '2000',
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    procs.push(proc);
    try {
      await waitFor(
        `${app} polling`,
        () => proc.output().includes('"msg":"worker polling"'),
        150_000,
      );
    } catch (error) {
      throw new Error(`${String(error)}\n--- ${app} ---\n${proc.output()}`);
    }
    return { proc, metricsPort };
  };

  /** Runs `body`; a failure carries the end of every worker's output. */
  const explained = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      const outputs = procs.map((p, i) => `--- worker ${i} ---\n${p.output().slice(-6_000)}`);
      throw new Error(`${String(error)}\n${outputs.join('\n')}`);
    }
  };

  /** Resolves with `promise`, or fails after `ms` naming `what`. */
  const within = <T>(what: string, ms: number, promise: Promise<T>): Promise<T> =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref(),
      ),
    ]);

  /** SIGTERM to the process group; resolves with how it ended and how long it took. */
  const stop = async (proc: Spawned) => {
    const t0 = Date.now();
    process.kill(-(proc.child.pid as number), 'SIGTERM');
    const exit = await proc.exited;
    return { exit, ms: Date.now() - t0 };
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address });
    await createTestNamespace(connection, namespace);
    client = new Client({ connection, namespace });
  });

  afterAll(async () => {
    for (const proc of procs) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        try {
          process.kill(-(proc.child.pid as number), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await Promise.all(procs.map((p) => p.exited));
    await connection.close();
  });

  it("serves Temporal's worker metrics and counts each business fact once; SIGTERM stops both at once", () =>
    explained(async () => {
      // The first worker migrates the keyspace; the second finds it done.
      const billing = await startWorker('billing-worker');
      const loyalty = await startWorker('loyalty-worker');
      expect(billing.proc.output()).toContain(
        `"url":"http://127.0.0.1:${billing.metricsPort}/metrics","msg":"metrics endpoint up"`,
      );

      const customerId = `cus-metrics-${run}`;
      const input: SubscriptionInput = {
        subscriptionId: `metrics-${run}`,
        customerId,
        customerEmail: 'ada@example.com',
        // Declined on the first attempt, paid on the dunning retry 2 s later.
        paymentMethod: 'pm_card_declined_once',
        price: { amountMinor: 15_000, currency: 'USD' },
        interval: { unit: 'hour', count: 1 },
        startAt: new Date(Date.now() + 1_000).toISOString(),
        timeZone: 'UTC',
        maxPeriods: 1,
        dunningDays: [2 / 86_400],
      };
      const handle = await client.workflow.start('subscription', {
        taskQueue: BILLING_TASK_QUEUE,
        workflowId: subscriptionWorkflowId(input.subscriptionId),
        args: [input],
      });
      const result = (await within(
        'the subscription',
        60_000,
        handle.result(),
      )) as SubscriptionResult;
      expect(result).toMatchObject({ status: 'completed', periodsBilled: 1 });

      // The charge earned 15,000 points (a coupon); a purchase of 12.50 USD earns 1,250 more.
      const purchase = await within(
        'the purchase',
        30_000,
        client.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
          args: [
            {
              purchaseId: `order-${run}`,
              total: 1_250,
              currency: 'USD',
              occurredAt: new Date().toISOString(),
            },
          ],
          updateId: `purchase:order-${run}`,
          startWorkflowOperation: new WithStartWorkflowOperation(LOYALTY_WORKFLOW_TYPE, {
            workflowId: loyaltyWorkflowId(customerId),
            taskQueue: LOYALTY_TASK_QUEUE,
            args: [{ customerId, customerEmail: 'ada@example.com' } satisfies LoyaltyInput],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      );
      expect(purchase).toMatchObject({ counted: true, points: 1_250 });
      const program = client.workflow.getHandle(loyaltyWorkflowId(customerId));
      await waitFor(
        'the charge and the purchase in the loyalty program',
        async () => {
          const points = await program.query(getPointsQuery);
          return points.lifetimePoints === 16_250 && points.couponsIssued === 1;
        },
        60_000,
      );

      const billingCounters = {
        charges: {
          '{outcome=succeeded}': 1,
          '{outcome=declined}': 1,
          '{outcome=failed}': 0,
        },
        retries: {
          '{outcome=succeeded}': 1,
          '{outcome=declined}': 0,
          '{outcome=failed}': 0,
        },
        emails: {
          '{template=payment_failed}': 1,
          '{template=receipt}': 1,
          '{template=subscription_ended}': 1,
        },
      };
      const loyaltyCounters = {
        purchases: { '{source=charge}': 1, '{source=purchase}': 1 },
        points: { '{source=charge}': 15_000, '{source=purchase}': 1_250 },
        coupons: { '{}': 1 },
        emails: { '{template=coupon_issued}': 1 },
      };
      const readBilling = async () => {
        const s = await scrape(billing.metricsPort);
        return {
          charges: series(s, 'invincible_charges_total'),
          retries: series(s, 'invincible_dunning_retries_total'),
          emails: series(s, 'invincible_emails_queued_total'),
        };
      };
      const readLoyalty = async () => {
        const s = await scrape(loyalty.metricsPort);
        return {
          purchases: series(s, 'invincible_purchases_counted_total'),
          points: series(s, 'invincible_points_awarded_total'),
          coupons: series(s, 'invincible_coupons_issued_total'),
          emails: series(s, 'invincible_emails_queued_total'),
        };
      };
      // The coupon's email is the last activity of the program's batch: wait for it, then compare.
      await waitFor(
        'the coupon email counted',
        async () => (await readLoyalty()).emails['{template=coupon_issued}'] === 1,
        30_000,
      ).catch(() => undefined);
      expect(await readBilling()).toEqual(billingCounters);
      expect(await readLoyalty()).toEqual(loyaltyCounters);

      // Temporal's own worker metrics, from the SDK's core, on the same endpoint and tagged per app.
      const sdk = await scrape(billing.metricsPort);
      const names = new Set(sdk.map((s) => s.name));
      for (const name of [
        'temporal_workflow_task_schedule_to_start_latency_count',
        'temporal_activity_schedule_to_start_latency_count',
        'temporal_workflow_task_execution_latency_count',
        'temporal_worker_task_slots_available',
        'temporal_worker_task_slots_used',
        'temporal_sticky_cache_size',
        'temporal_num_pollers',
        'temporal_workflow_completed',
      ]) {
        expect([name, names.has(name)]).toEqual([name, true]);
      }
      expect(series(sdk, 'temporal_worker_task_slots_available')).toMatchObject({
        [`{namespace=${namespace},service_name=temporal-core-sdk,task_queue=${BILLING_TASK_QUEUE},worker_type=ActivityWorker}`]: 100,
        [`{namespace=${namespace},service_name=temporal-core-sdk,task_queue=${BILLING_TASK_QUEUE},worker_type=WorkflowWorker}`]:
          expect.any(Number) as number,
      });
      expect(sdk.every((s) => s.labels['app'] === 'billing-worker')).toBe(true);
      expect(
        series(sdk, 'temporal_workflow_completed')[
          `{namespace=${namespace},service_name=temporal-core-sdk,task_queue=${BILLING_TASK_QUEUE},workflow_type=subscription}`
        ],
      ).toBe(1);

      // Idle: SIGTERM, and each stops well inside its bound (grace 2 s + 10 s).
      const [billingStop, loyaltyStop] = await Promise.all([
        stop(billing.proc),
        stop(loyalty.proc),
      ]);
      expect(billingStop.exit).toBe(0);
      expect(loyaltyStop.exit).toBe(0);
      expect(billingStop.ms).toBeLessThan(12_000);
      expect(loyaltyStop.ms).toBeLessThan(12_000);
      console.log(
        `idle SIGTERM → exit: billing-worker ${billingStop.ms} ms, loyalty-worker ${loyaltyStop.ms} ms`,
      );
    }));

  it('exits within the grace time and its margin when an activity ignores its cancellation', () =>
    explained(async () => {
      // Every sandbox charge holds its activity 60 s after it is recorded, deaf to cancellation.
      const billing = await startWorker('billing-worker', {
        PAYMENTS_SANDBOX_LATENCY_MS: '60000',
        WORKER_SHUTDOWN_GRACE_MS: '1000',
      });
      const input: SubscriptionInput = {
        subscriptionId: `metrics-hang-${run}`,
        customerId: `cus-hang-${run}`,
        customerEmail: 'ada@example.com',
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1_999, currency: 'USD' },
        interval: { unit: 'hour', count: 1 },
        startAt: new Date().toISOString(),
        timeZone: 'UTC',
        maxPeriods: 1,
      };
      const handle = await client.workflow.start('subscription', {
        taskQueue: BILLING_TASK_QUEUE,
        workflowId: subscriptionWorkflowId(input.subscriptionId),
        args: [input],
      });
      await waitFor(
        'the charge activity running',
        async () =>
          (await handle.describe()).raw.pendingActivities?.some(
            (a) => a.activityType?.name === 'chargePayment' && a.lastStartedTime != null,
          ) === true,
        60_000,
      );
      await waitFor(
        'the activity slot in use',
        async () =>
          series(await scrape(billing.metricsPort), 'temporal_worker_task_slots_used')[
            `{namespace=${namespace},service_name=temporal-core-sdk,task_queue=${BILLING_TASK_QUEUE},worker_type=ActivityWorker}`
          ] === 1,
        30_000,
      );

      const { exit, ms } = await stop(billing.proc);
      console.log(`SIGTERM with a deaf activity → exit ${String(exit)} after ${ms} ms`);
      expect(billing.proc.output()).toContain('worker stopped before its tasks drained');
      expect(exit).toBe(0);
      // Grace 1 s, then 5 s for the cancelled activity (shutdownForceTime), then out: under 11 s.
      expect(ms).toBeGreaterThanOrEqual(5_500);
      expect(ms).toBeLessThan(11_000);
    }));
});
