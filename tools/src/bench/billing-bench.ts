/**
 * `npm run bench:billing`: billing cycles per second of the subscription workflow against a
 * no-op workflow of the identical activity and timer shape, in one process against one Temporal
 * server (TEMPORAL_ADDRESS, default 127.0.0.1:7233 — `npm run stack -- up --only temporal`).
 * N subscriptions (BENCH_SUBSCRIPTIONS, default 50, max 500) with a 1-second interval run
 * M periods each (BENCH_PERIODS, default 10, max 60); activities are the real billing
 * activities over the in-memory repository (this measures workflow and activity code, not the
 * database: `npm run bench:ledger` does that). Prints cycles/s of both and their ratio, and per
 * billing period of each: history bytes and activities scheduled (read from the histories).
 */
import {
  createBillingActivities,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  subscriptionWorkflowId,
  WORKFLOW_SOURCES,
  type SubscriptionInput,
} from '@invincible/workflows';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { historyCost } from './history-cost';

const N = Math.min(Number(process.env['BENCH_SUBSCRIPTIONS'] ?? 50), 500);
const M = Math.min(Number(process.env['BENCH_PERIODS'] ?? 10), 60);
const TUNING = {
  maxConcurrentActivityTaskExecutions: 200,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxCachedWorkflows: 1_000,
} satisfies Partial<WorkerOptions>;

async function phase(
  name: string,
  workerOptions: Pick<WorkerOptions, 'workflowsPath' | 'activities'>,
  start: (client: Client, taskQueue: string, i: number, startAt: string) => Promise<WorkflowHandle>,
  address: string,
): Promise<{ rate: number; bytesPerPeriod: number; activitiesPerPeriod: number }> {
  const taskQueue = `bench-${name}-${Date.now().toString(36)}`;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    ...workerOptions,
    ...TUNING,
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  return worker.runUntil(async () => {
    const startAt = new Date(Date.now() + 2_000).toISOString();
    const t0 = Date.now();
    const handles = await Promise.all(
      Array.from({ length: N }, (_, i) => start(client, taskQueue, i, startAt)),
    );
    await Promise.all(handles.map((h) => h.result()));
    // Cycles over the time from the first scheduled charge to the last completion.
    const seconds = (Date.now() - Math.max(t0, new Date(startAt).getTime())) / 1000;
    // Every run of every execution (continue-as-new chains included): bytes and activities.
    const { bytes, activities } = await historyCost(
      client,
      handles.map((h) => h.workflowId),
    );
    return {
      rate: (N * M) / seconds,
      bytesPerPeriod: bytes / (N * M),
      activitiesPerPeriod: activities / (N * M),
    };
  });
}

async function main(): Promise<void> {
  const address = process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const repository = createInMemoryRepository();
  const run = Date.now().toString(36);

  const subscription = await phase(
    'subscription',
    {
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      activities: createBillingActivities({
        repository,
        payments: createSandboxGateway({ payments: repository.payments }),
        mailer: createOutboxMailer({ outbox: repository.outbox }),
        loyalty: { notifyPurchase: () => Promise.resolve() },
      }),
    },
    (client, taskQueue, i, startAt) => {
      const input: SubscriptionInput = {
        subscriptionId: `bench-${run}-${i}`,
        customerId: `cus-bench-${i}`,
        customerEmail: 'bench@example.com',
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1999, currency: 'USD' },
        interval: { unit: 'second', count: 1 },
        startAt,
        timeZone: 'UTC',
        maxPeriods: M,
        periodsPerRun: 1_000,
      };
      return client.workflow.start('subscription', {
        taskQueue,
        workflowId: subscriptionWorkflowId(input.subscriptionId),
        args: [input],
      });
    },
    address,
  );

  const noop = (): Promise<void> => Promise.resolve();
  const baseline = await phase(
    'noop',
    {
      workflowsPath: require.resolve('./noop-billing-workflows'),
      activities: {
        chargePayment: noop,
        recordCharge: noop,
        earnLoyaltyPoints: noop,
        publish: noop,
      },
    },
    (client, taskQueue, i, startAt) =>
      client.workflow.start('noopSubscription', {
        taskQueue,
        workflowId: `bench-noop-${run}-${i}`,
        args: [{ startAt, intervalMs: 1_000, periods: M }],
      }),
    address,
  );

  console.log(`billing benchmark: ${N} subscriptions x ${M} periods of 1 s, Temporal ${address}`);
  console.log(`worker options: ${JSON.stringify(TUNING)}`);
  console.log(`subscription workflow: ${subscription.rate.toFixed(1)} billing cycles/s`);
  console.log(
    `no-op workflow, same activity and timer shape: ${baseline.rate.toFixed(1)} cycles/s`,
  );
  console.log(
    `ratio subscription/no-op: ${(subscription.rate / baseline.rate).toFixed(2)} (target >= 0.8)`,
  );
  for (const [name, r] of [
    ['subscription', subscription],
    ['no-op', baseline],
  ] as const) {
    console.log(
      `${name}: ${r.bytesPerPeriod.toFixed(0)} history bytes and ` +
        `${r.activitiesPerPeriod.toFixed(2)} activities per billing period`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
