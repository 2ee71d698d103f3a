import { generateApiKey } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltyWorkflowId,
  subscriptionWorkflowId,
} from '@invincible/workflows';
import { createTestNamespace, requireTestEnv } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from './app';
import { idFromIdempotencyKey } from './http/idempotency';

/**
 * A tenant's limits on never-ending workflows, counted by Temporal's visibility on the real dev
 * server (in a namespace of this suite). No worker runs: what counts is what Temporal runs.
 */
describe('tenant quotas (dev server)', () => {
  jest.setTimeout(60_000);
  const run = Date.now().toString(36);
  const namespace = `quotas-${run}`;
  const tenantId = `tiny-${run}`;
  let connection: Connection;
  let temporal: Client;
  const repository = createInMemoryRepository();
  const { record, secret } = generateApiKey({
    tenantId,
    name: 'backend',
    role: 'full',
    now: new Date(),
  });

  beforeAll(async () => {
    connection = await Connection.connect({
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS'),
    });
    await createTestNamespace(connection, namespace);
    temporal = new Client({ connection, namespace });
    await repository.access.createTenant({
      id: tenantId,
      name: 'Tiny',
      test: false,
      maxActiveSubscriptions: 1,
      maxLoyaltyPrograms: 1,
      createdAt: new Date(),
    });
    await repository.access.createKey(record);
    for (const id of ['a', 'b'])
      await repository.customers.create({
        id: `${tenantId}~${id}`,
        email: `${id}@tiny.example`,
        name: id,
        createdAt: new Date(),
      });
  });

  afterAll(() => connection?.close());

  const app = () =>
    createApp({
      logger: pino({ level: 'silent' }),
      temporal,
      repository,
      apiKeys: [],
      readiness: {},
      updateTimeoutMs: 2_000,
      // No worker answers queries here: fall back to the request at once.
      queryTimeoutMs: 300,
    });
  const subscribe = (key: string) =>
    request(app())
      .post('/v1/subscriptions')
      .set('Authorization', `Bearer ${secret}`)
      .set('Idempotency-Key', key)
      .send({
        customerId: 'a',
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 500, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      });

  async function visible(query: string, count: number) {
    for (let i = 0; i < 100; i++) {
      if ((await temporal.workflow.count(query)).count === count) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`visibility never showed ${count} for ${query}`);
  }

  it('refuses a subscription past maxActiveSubscriptions, and accepts it once one ends', async () => {
    expect((await subscribe('first')).status).toBe(201);
    const running = `WorkflowId STARTS_WITH "subscription:${tenantId}~" AND ExecutionStatus = "Running"`;
    await visible(running, 1);
    const refused = await subscribe('second');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      title: 'Quota Exceeded',
      detail: expect.stringMatching(/at most 1 subscriptions at once/) as unknown,
    });
    // The retry of the first is still answered: a quota never blocks an idempotent retry.
    expect((await subscribe('first')).status).toBe(200);

    const first = subscriptionWorkflowId(
      `${tenantId}~${idFromIdempotencyKey('sub', tenantId, 'first')}`,
    );
    await temporal.workflow.getHandle(first).terminate('test: make room');
    await visible(running, 0);
    expect((await subscribe('second')).status).toBe(201);
  });

  it('refuses a new loyalty program past maxLoyaltyPrograms', async () => {
    await temporal.workflow.start(LOYALTY_WORKFLOW_TYPE, {
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowId: loyaltyWorkflowId(`${tenantId}~a`),
      args: [{ customerId: `${tenantId}~a` }],
    });
    await visible(
      `WorkflowId STARTS_WITH "loyalty:${tenantId}~" AND ExecutionStatus = "Running"`,
      1,
    );
    const refused = await request(app())
      .post('/v1/customers/b/purchases')
      .set('Authorization', `Bearer ${secret}`)
      .send({ purchaseId: 'order-1', total: 100, currency: 'USD' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      detail: expect.stringMatching(/at most 1 loyalty programs/) as unknown,
    });
  });
});
