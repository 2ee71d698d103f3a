import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createRepository, type MigratableRepository } from '@invincible/astra-repo';
import { subscriptionWorkflowId, type SubscriptionInput } from '@invincible/workflows';
import {
  createTestNamespace,
  requireTestEnv,
  temporalTestServers,
  type TemporalTestServer,
} from '@invincible/workflows/testing';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Chaos on each real test server (the dev server, and Temporal persisted on Cassandra): the billing worker process is SIGKILLed while a charge is in
 * flight — after the sandbox provider recorded it, before the worker heard back — and
 * restarted. Every period must still end with exactly one ledger entry and one gateway charge.
 * The suite uses a namespace and a keyspace of its own on the shared test servers.
 */
const REPO_ROOT = join(__dirname, '..', '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(temporalTestServers())(
  'billing worker SIGKILLed in the middle of a charge ($name)',
  chaosSuite,
);

function chaosSuite({ address, tag }: TemporalTestServer): void {
  jest.setTimeout(240_000);
  const run = `${Date.now().toString(36)}${tag}`;
  const namespace = `chaos-${run}`;
  const keyspace = `chaos_${run}`;
  let contactPoints: string;
  let connection: Connection;
  let client: Client;
  let repository: MigratableRepository;
  let worker: ChildProcess | undefined;
  let workerLog = '';

  function startWorker(): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        join(REPO_ROOT, 'apps', 'billing-worker', 'src', 'main.ts'),
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env['PATH'],
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          CASSANDRA_CONTACT_POINTS: contactPoints,
          CASSANDRA_KEYSPACE: keyspace,
          PAYMENTS_SANDBOX_LATENCY_MS: '1500',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (d: Buffer) => (workerLog += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (workerLog += d.toString()));
    return child;
  }

  beforeAll(async () => {
    contactPoints = requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS');
    connection = await Connection.connect({ address });
    await createTestNamespace(connection, namespace);
    client = new Client({ connection, namespace });
    repository = createRepository({
      backend: 'cassandra',
      contactPoints: contactPoints.split(','),
      localDataCenter: 'datacenter1',
      keyspace,
      replicationFactor: 1,
    });
    await repository.migrate();
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await repository?.close();
    await connection?.close();
  });

  /** True while some subscription has a chargePayment activity started on a worker. */
  async function chargeInFlight(handles: WorkflowHandle[]): Promise<boolean> {
    for (const handle of handles) {
      const { raw } = await handle.describe();
      if (
        (raw.pendingActivities ?? []).some(
          (a) =>
            a.activityType?.name === 'chargePayment' &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        )
      )
        return true;
    }
    return false;
  }

  it('leaves exactly one ledger entry and one gateway charge per period', async () => {
    worker = startWorker();
    const subscriptions = ['a', 'b', 'c'].map((s): SubscriptionInput => ({
      subscriptionId: `chaos-${run}-${s}`,
      customerId: `cus-chaos-${s}`,
      customerEmail: 'ada@example.com',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1999, currency: 'USD' },
      interval: { unit: 'second', count: 2 },
      startAt: new Date(Date.now() + 3_000).toISOString(),
      timeZone: 'UTC',
      maxPeriods: 3,
    }));
    const handles = await Promise.all(
      subscriptions.map((input) =>
        client.workflow.start('subscription', {
          taskQueue: 'billing',
          workflowId: subscriptionWorkflowId(input.subscriptionId),
          args: [input],
        }),
      ),
    );

    let kills = 0;
    for (let i = 0; i < 600 && kills < 2; i++) {
      if (await chargeInFlight(handles)) {
        worker.kill('SIGKILL');
        kills++;
        await sleep(300);
        worker = startWorker();
        await sleep(2_000);
      } else {
        await sleep(100);
      }
    }
    expect(kills).toBe(2);

    const results = await Promise.all(
      handles.map((h) => h.result() as Promise<{ status: string; periodsBilled: number }>),
    );
    expect(results.map((r) => [r.status, r.periodsBilled])).toEqual(
      subscriptions.map(() => ['completed', 3]),
    );
    for (const input of subscriptions) {
      const { items } = await repository.charges.listBySubscription(input.subscriptionId);
      expect(items.map((c) => [c.period, c.attempt, c.outcome])).toEqual([
        [1, 1, 'succeeded'],
        [2, 1, 'succeeded'],
        [3, 1, 'succeeded'],
      ]);
      // One provider charge per period: its key is the period's, and the ledger names it.
      for (const entry of items) {
        const payment = await repository.payments.get(`${input.subscriptionId}:${entry.period}`);
        expect(payment.providerRef).toBe(entry.providerRef);
      }
      await expect(repository.payments.get(`${input.subscriptionId}:1:2`)).rejects.toThrow(
        'not found',
      );
    }
  });
}
