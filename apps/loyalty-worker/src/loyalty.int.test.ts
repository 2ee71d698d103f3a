import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import {
  getPointsQuery,
  LOYALTY_TASK_QUEUE,
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  recordPurchaseUpdate,
  redeemCouponUpdate,
  WORKFLOW_SOURCES,
  type LoyaltyInput,
  type Purchase,
} from '@invincible/workflows';
import { createTimeSkippingEnv } from '@invincible/workflows/testing';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';

/**
 * The loyalty program on Temporal's time-skipping test server, with the real loyalty
 * activities over the in-memory repository.
 */
describe('loyaltyProgram workflow (time-skipping)', () => {
  jest.setTimeout(120_000);
  let env: TestWorkflowEnvironment;
  let repo: InMemoryRepository;
  let worker: Worker;
  let running: Promise<void>;
  let seq = 0;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    repo = createInMemoryRepository();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({
        repository: repo,
        mailer: createOutboxMailer({ outbox: repo.outbox }),
      }),
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  function program(overrides: Partial<LoyaltyInput> = {}): LoyaltyInput {
    seq++;
    return { customerId: `cus-loyal-${seq}`, customerEmail: 'ada@example.com', ...overrides };
  }

  async function start(input: LoyaltyInput): Promise<WorkflowHandle> {
    return env.client.workflow.start('loyaltyProgram', {
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowId: loyaltyWorkflowId(input.customerId),
      args: [input],
    });
  }

  const purchase = (purchaseId: string, total: number, currency = 'USD'): Purchase => ({
    purchaseId,
    total,
    currency,
    occurredAt: '2026-11-25T10:00:00.000Z',
  });

  async function rejectionReason(update: Promise<unknown>): Promise<string> {
    const error = await update.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof WorkflowUpdateFailedError))
      throw new Error(`expected a rejected Update, got ${String(error)}`);
    return error.cause?.message ?? '';
  }

  it('earns 100 points per currency unit, whatever the currency exponent', async () => {
    const handle = await start(program({ couponThreshold: 10_000_000 }));
    await expect(
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('p-usd', 1_250)] }),
    ).resolves.toMatchObject({ points: 1_250, counted: true });
    await expect(
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('p-jpy', 1_000, 'JPY')] }),
    ).resolves.toMatchObject({ points: 100_000 });
    await expect(
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('p-bhd', 1_500, 'BHD')] }),
    ).resolves.toMatchObject({ points: 150 });
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      balance: 101_400,
      lifetimePoints: 101_400,
    });
  });

  it('counts a repeated purchaseId once, by Update or signal, and returns the first result', async () => {
    const input = program();
    const handle = await start(input);
    const first = await handle.executeUpdate(recordPurchaseUpdate, {
      args: [purchase('order-1', 2_000)],
    });
    await handle.signal(notifyPurchaseSignal, purchase('order-1', 2_000));
    const again = await handle.executeUpdate(recordPurchaseUpdate, {
      args: [purchase('order-1', 2_000)],
    });
    expect(again).toEqual({ ...first, counted: false });
    const [a, b] = await Promise.all([
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('order-2', 1_000)] }),
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('order-2', 1_000)] }),
    ]);
    expect([a.counted, b.counted].sort()).toEqual([false, true]);
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      balance: 3_000,
      lifetimePoints: 3_000,
    });
    await expect(
      repo.purchases.get(input.customerId, { source: 'purchase', purchaseId: 'order-1' }),
    ).resolves.toMatchObject({
      points: 2_000,
      customerId: input.customerId,
    });
  });

  it('issues a coupon when the balance reaches the threshold, and never twice', async () => {
    const input = program();
    const handle = await start(input);
    await handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('c-1', 6_000)] });
    const crossing = await handle.executeUpdate(recordPurchaseUpdate, {
      args: [purchase('c-2', 5_000)],
    });
    expect(crossing).toMatchObject({ couponsIssued: [`${input.customerId}:1`], balance: 1_000 });
    await handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('c-3', 2_000)] });
    await handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('c-2', 5_000)] });
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      balance: 3_000,
      lifetimePoints: 13_000,
      couponsIssued: 1,
    });
    expect((await repo.coupons.listByCustomer(input.customerId)).items.map((c) => c.id)).toEqual([
      `${input.customerId}:1`,
    ]);
    const mails = (await repo.outbox.listByCustomer(input.customerId)).items;
    expect(mails.map((m) => m.id)).toEqual([`${input.customerId}:1:coupon`]);
  });

  it('issues one coupon per crossing when one purchase crosses several times', async () => {
    const input = program();
    const handle = await start(input);
    const result = await handle.executeUpdate(recordPurchaseUpdate, {
      args: [purchase('big', 25_000)],
    });
    expect(result).toMatchObject({
      points: 25_000,
      couponsIssued: [`${input.customerId}:1`, `${input.customerId}:2`],
      balance: 5_000,
    });
  });

  it('counts a burst of concurrent purchases exactly, coupons at each crossing within a batch', async () => {
    const input = program();
    const handle = await start(input);
    // 25 purchases of 10.00 (1,000 points each) at once, every fifth sent twice, one more by signal.
    const ids = Array.from({ length: 25 }, (_, i) => `burst-${i}`);
    const sends = [...ids, ...ids.filter((_, i) => i % 5 === 0)].map((id) =>
      handle.executeUpdate(recordPurchaseUpdate, { args: [purchase(id, 1_000)] }),
    );
    await handle.signal(notifyPurchaseSignal, purchase('burst-signal', 1_000));
    const results = await Promise.all(sends);
    expect(results.filter((r) => r.counted)).toHaveLength(25);
    // A duplicate is answered with the first result (coupons included), so look at counted ones.
    const announced = results.filter((r) => r.counted).flatMap((r) => r.couponsIssued);
    expect(new Set(announced).size).toBe(announced.length);
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      balance: 6_000,
      lifetimePoints: 26_000,
      couponsIssued: 2,
    });
    expect((await repo.coupons.listByCustomer(input.customerId)).items.map((c) => c.id)).toEqual([
      `${input.customerId}:1`,
      `${input.customerId}:2`,
    ]);
    expect((await repo.outbox.listByCustomer(input.customerId)).items).toHaveLength(2);
  });

  it('of two concurrent redemptions of one coupon, exactly one succeeds', async () => {
    const input = program();
    const handle = await start(input);
    await handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('r-1', 10_000)] });
    const couponId = `${input.customerId}:1`;
    const outcomes = await Promise.allSettled([
      handle.executeUpdate(redeemCouponUpdate, { args: [{ couponId }] }),
      handle.executeUpdate(redeemCouponUpdate, { args: [{ couponId }] }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    await expect(repo.coupons.get(couponId)).resolves.toMatchObject({ status: 'redeemed' });
    expect(
      await rejectionReason(handle.executeUpdate(redeemCouponUpdate, { args: [{ couponId }] })),
    ).toMatch(/already redeemed/);
    expect(
      await rejectionReason(
        handle.executeUpdate(redeemCouponUpdate, { args: [{ couponId: 'someone-else:1' }] }),
      ),
    ).toMatch(/has no coupon/);
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({ couponsRedeemed: 1 });
  });

  it('rejects bad purchases with a reason (Update) or counts them as rejected (signal), changing nothing', async () => {
    const handle = await start(program());
    expect(
      await rejectionReason(
        handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('bad-1', -5)] }),
      ),
    ).toMatch(/positive whole number/);
    expect(
      await rejectionReason(
        handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('bad-2', 12.5)] }),
      ),
    ).toMatch(/positive whole number/);
    expect(
      await rejectionReason(
        handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('bad-3', 100, 'XYZ')] }),
      ),
    ).toMatch(/not an ISO 4217/);
    expect(
      await rejectionReason(
        handle.executeUpdate(recordPurchaseUpdate, { args: [purchase('$bad', 100)] }),
      ),
    ).toMatch(/purchaseId/);
    await handle.signal(notifyPurchaseSignal, purchase('bad-4', 0));
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      balance: 0,
      lifetimePoints: 0,
      rejectedSignals: 1,
    });
  });

  it('starts lazily with the first purchase (update-with-start), converging on one execution', async () => {
    const input = program();
    const startOp = () =>
      new WithStartWorkflowOperation('loyaltyProgram', {
        workflowId: loyaltyWorkflowId(input.customerId),
        taskQueue: LOYALTY_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    const first = await env.client.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
      args: [purchase('lazy-1', 1_000)],
      startWorkflowOperation: startOp(),
    });
    const second = await env.client.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
      args: [purchase('lazy-2', 1_000)],
      startWorkflowOperation: startOp(),
    });
    expect([first.counted, second.balance]).toEqual([true, 2_000]);
  });
});
