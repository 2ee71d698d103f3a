import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  BILLING_TASK_QUEUE,
  cancelSignal,
  changePriceUpdate,
  LOYALTY_TASK_QUEUE,
  statusQuery,
  subscriptionWorkflowId,
  type SubscriptionInput,
  type SubscriptionResult,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import {
  createTestNamespace,
  temporalTestServers,
  type TemporalTestServer,
} from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

/**
 * The subscription workflow in real time on each real test server (the dev server, and Temporal
 * persisted on Cassandra): its timer charges, the status query, the changePrice Update and the
 * cancel signal — the four kinds of durable state a Temporal server keeps — in a namespace of
 * the suite's own, with the real billing and loyalty workers over the in-memory repository.
 */
describe.each(temporalTestServers())('subscription in real time ($name)', liveSuite);

function liveSuite({ address, tag }: TemporalTestServer): void {
  jest.setTimeout(120_000);

  it('charges on its timer, answers the query, takes an Update and ends on the signal', async () => {
    const run = `${Date.now().toString(36)}${tag}`;
    const namespace = `live-${run}`;
    const connection = await Connection.connect({ address });
    await createTestNamespace(connection, namespace);
    const client = new Client({ connection, namespace });
    const repo = createInMemoryRepository();
    const mailer = createOutboxMailer({ outbox: repo.outbox });
    const nativeConnection = await NativeConnection.connect({ address });
    const billing = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: BILLING_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      activities: createBillingActivities({
        repository: repo,
        payments: createSandboxGateway({ payments: repo.payments }),
        mailer,
        loyalty: createLoyaltyNotifier(client.workflow),
      }),
    });
    const loyalty = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({ repository: repo, mailer }),
    });
    const input: SubscriptionInput = {
      subscriptionId: `live-${run}`,
      customerId: `cus-live-${run}`,
      customerEmail: 'ada@example.com',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1999, currency: 'USD' },
      interval: { unit: 'second', count: 2 },
      startAt: new Date(Date.now() + 1_000).toISOString(),
      timeZone: 'UTC',
      maxPeriods: 20,
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    await loyalty.runUntil(
      billing.runUntil(async () => {
        const handle = await client.workflow.start('subscription', {
          taskQueue: BILLING_TASK_QUEUE,
          workflowId: subscriptionWorkflowId(input.subscriptionId),
          args: [input],
        });
        // The first charge comes from a durable timer; the query shows it.
        for (let i = 0; i < 100 && (await handle.query(statusQuery)).periodsBilled < 1; i++) {
          await sleep(200);
        }
        expect(await handle.query(statusQuery)).toMatchObject({
          status: 'active',
          periodsBilled: expect.any(Number) as number,
        });
        const { fromPeriod } = await handle.executeUpdate(changePriceUpdate, {
          args: [{ price: { amountMinor: 2999, currency: 'USD' } }],
        });
        for (
          let i = 0;
          i < 100 && (await handle.query(statusQuery)).periodsBilled < fromPeriod;
          i++
        ) {
          await sleep(200);
        }
        await handle.signal(cancelSignal);
        const result = (await handle.result()) as SubscriptionResult;
        expect(result.status).toBe('canceled');

        const { items } = await repo.charges.listBySubscription(input.subscriptionId);
        const periods = items.map((c) => c.period);
        // One charge per period, in order, none twice; the new price from its period on.
        expect(periods).toEqual(Array.from({ length: result.periodsBilled }, (_, i) => i + 1));
        for (const charge of items) {
          expect(charge.amount.amountMinor).toBe(charge.period < fromPeriod ? 1999 : 2999);
        }
        expect(result.periodsBilled).toBeGreaterThanOrEqual(fromPeriod);
      }),
    );
    await nativeConnection.close();
    await connection.close();
  });
}
