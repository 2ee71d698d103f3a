import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  BILLING_TASK_QUEUE,
  loyaltyWorkflowId,
  SUBSCRIPTION_WORKFLOW_TYPE,
  subscriptionWorkflowId,
} from '@invincible/workflows';
import { createTimeSkippingEnv } from '@invincible/workflows/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from './app';

/**
 * A Workflow Update has a deadline: when the workflow does not answer in time (no worker polls
 * its task queue, so the Update is never accepted; or its handler stalls after accepting it) the
 * API answers 503 with Retry-After once the deadline passes, instead of holding the request open.
 */
describe('Updates with a deadline (time-skipping server)', () => {
  jest.setTimeout(120_000);
  const UPDATE_TIMEOUT_MS = 1_500;
  const KEY = 'test-secret-0123456789abcdef';
  const STALLED_QUEUE = `stalled-${Date.now().toString(36)}`;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let app: Express;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    env = await createTimeSkippingEnv();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: STALLED_QUEUE,
      workflowsPath: require.resolve('./testing/stalled-workflows'),
    });
    running = worker.run();
    const repository = createInMemoryRepository();
    // Stored in the tenant of the environment's keys (`dev`), as the API stores it.
    await repository.customers.create({
      id: 'dev~cus_stalled',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date(),
    });
    app = createApp({
      logger: pino({ level: 'silent' }),
      temporal: env.client,
      repository,
      apiKeys: [{ name: 'test', secret: KEY }],
      readiness: {},
      updateTimeoutMs: UPDATE_TIMEOUT_MS,
    });
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const expectRetryable503 = (res: request.Response) => {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/same Idempotency-Key .*is safe/) as unknown,
    });
  };

  it('answers 503 when no worker accepts the Update (a subscription on a queue nobody polls)', async () => {
    await env.client.workflow.start(SUBSCRIPTION_WORKFLOW_TYPE, {
      workflowId: subscriptionWorkflowId('dev~sub_unpolled'),
      taskQueue: BILLING_TASK_QUEUE, // no billing worker runs here
      args: [{}],
    });
    const started = Date.now();
    const res = await request(app)
      .post('/v1/subscriptions/sub_unpolled/cancel')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Idempotency-Key', 'cancel-1')
      .send({ mode: 'now' });
    expectRetryable503(res);
    expect(Date.now() - started).toBeGreaterThanOrEqual(UPDATE_TIMEOUT_MS - 100);
  });

  it('answers 503 when the workflow accepts the Update but its handler stalls', async () => {
    await env.client.workflow.start('stalledWorkflow', {
      workflowId: subscriptionWorkflowId('dev~sub_stalled'),
      taskQueue: STALLED_QUEUE,
    });
    const res = await request(app)
      .post('/v1/subscriptions/sub_stalled/price')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Idempotency-Key', 'price-1')
      .send({ price: { amountMinor: 1500, currency: 'EUR' } });
    expectRetryable503(res);
  });

  it('bounds an update-with-start (a purchase) and a coupon redeem alike', async () => {
    await env.client.workflow.start('stalledWorkflow', {
      workflowId: loyaltyWorkflowId('dev~cus_stalled'),
      taskQueue: STALLED_QUEUE,
    });
    expectRetryable503(
      await request(app)
        .post('/v1/customers/cus_stalled/purchases')
        .set('Authorization', `Bearer ${KEY}`)
        .send({ purchaseId: 'p-1', total: 1250, currency: 'EUR' }),
    );
    expectRetryable503(
      await request(app)
        .post('/v1/customers/cus_stalled/coupons/cus_stalled:1/redeem')
        .set('Authorization', `Bearer ${KEY}`)
        .set('Idempotency-Key', 'redeem-1'),
    );
  });
});
