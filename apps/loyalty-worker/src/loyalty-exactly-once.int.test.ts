import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import {
  getPointsQuery,
  INVALID_LOYALTY_INPUT,
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  PAYLOAD_CONVERTER_SOURCE,
  recordPurchaseUpdate,
  WORKFLOW_SOURCES,
  type LoyaltyInput,
  type Purchase,
} from '@invincible/workflows';
import { createTimeSkippingEnv } from '@invincible/workflows/testing';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';

/**
 * The defects the chaos soak and a real client found in the loyalty program, one test each, on
 * the time-skipping server with the real activities over the in-memory repository. Each failed
 * on the code before the ledger.
 */
describe('loyaltyProgram: exactly once, whatever arrives (time-skipping)', () => {
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
      dataConverter: { payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE) },
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

  const customer = () => `cus-once-${++seq}`;
  const purchase = (purchaseId: string, total: number, currency = 'USD'): Purchase => ({
    purchaseId,
    total,
    currency,
    occurredAt: '2026-11-25T10:00:00.000Z',
  });
  const start = (input: LoyaltyInput, workflowId = loyaltyWorkflowId(input.customerId)) =>
    env.client.workflow.start(LOYALTY_WORKFLOW_TYPE, {
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowId,
      args: [input],
    });
  const buy = (handle: WorkflowHandle, p: Purchase, updateId = `purchase:${p.purchaseId}`) =>
    handle.executeUpdate(recordPurchaseUpdate, { args: [p], updateId });

  it("counts one purchase id for each customer that uses it, never echoing another's (defect 2)", async () => {
    const a = await start({ customerId: customer() });
    const b = await start({ customerId: customer() });
    await expect(buy(a, purchase('ord-4', 7_000))).resolves.toMatchObject({ counted: true });
    // Before: B got `counted: false` with A's points.
    await expect(buy(b, purchase('ord-4', 300))).resolves.toMatchObject({
      counted: true,
      points: 300,
      balance: 300,
    });
  });

  it('fails a run whose input names another customer, or has none, at once and typed (defect 3)', async () => {
    const victim = customer();
    const mismatched = await start({ customerId: victim }, loyaltyWorkflowId(customer()));
    const failure: unknown = await mismatched.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: INVALID_LOYALTY_INPUT });
    await expect(repo.purchases.totals(victim)).resolves.toEqual({ purchases: 0, points: 0 });

    const empty = await env.client.workflow.start(LOYALTY_WORKFLOW_TYPE, {
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowId: loyaltyWorkflowId(customer()),
      args: [],
    });
    // Before: `Cannot read properties of undefined`, a workflow-task failure forever.
    const none: unknown = await empty.result().catch((e: unknown) => e);
    expect((none as WorkflowFailedError).cause).toMatchObject({ type: INVALID_LOYALTY_INPUT });
  });

  it('counts undecodable, malformed and unknown signals as rejected and goes on (defect 4)', async () => {
    const handle = await start({ customerId: customer() });
    await env.client.workflowService.signalWorkflowExecution({
      namespace: env.namespace ?? 'default',
      workflowExecution: { workflowId: handle.workflowId },
      signalName: notifyPurchaseSignal.name,
      input: {
        payloads: [
          {
            metadata: { encoding: new TextEncoder().encode('text/weird') },
            data: new TextEncoder().encode('"x"'),
          },
        ],
      },
    });
    await handle.signal('notifyPurchase', purchase('wrong-name', 100));
    await handle.signal(notifyPurchaseSignal, purchase('bad', -1));
    // Before: the undecodable payload failed every workflow task; this Update waited forever.
    await expect(buy(handle, purchase('after', 1_000))).resolves.toMatchObject({
      counted: true,
      balance: 1_000,
    });
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      rejectedSignals: 3,
      rejected: { undecodable: 1, malformed: 1, unknown: 1 },
    });
  });

  it('rehydrates a restarted program from the tables: balance, lifetime points, coupon numbering (defect 5)', async () => {
    const customerId = customer();
    const first = await start({ customerId, customerEmail: 'ada@example.com' });
    await buy(first, purchase('before-1', 12_000));
    const account = await first.query(getPointsQuery);
    expect(account).toMatchObject({ balance: 2_000, lifetimePoints: 12_000, couponsIssued: 1 });
    await first.terminate('operator reset');

    const again = await start({ customerId, customerEmail: 'ada@example.com' });
    // Before: balance 0 and the next coupon numbered :1 again.
    await expect(buy(again, purchase('after-1', 9_000))).resolves.toMatchObject({
      counted: true,
      couponsIssued: [`${customerId}:2`],
      balance: 1_000,
    });
    await expect(buy(again, purchase('before-1', 12_000))).resolves.toMatchObject({
      counted: true,
      points: 12_000,
    });
    await expect(again.query(getPointsQuery)).resolves.toMatchObject({
      lifetimePoints: 21_000,
      couponsIssued: 2,
    });
    expect((await repo.coupons.listByCustomer(customerId)).items.map((c) => c.id)).toEqual([
      `${customerId}:1`,
      `${customerId}:2`,
    ]);
    // The projection moves on from the version the first run left (it froze before).
    for (
      let i = 0;
      i < 50 && (await repo.loyalty.get(customerId).catch(() => null))?.lifetimePoints !== 21_000;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expect(repo.loyalty.get(customerId)).resolves.toMatchObject({
      lifetimePoints: 21_000,
      balance: 1_000,
      couponsIssued: 2,
    });
  });

  it('answers a retried request with its first answer across continue-as-new (defect 7)', async () => {
    const handle = await start({ customerId: customer(), eventsPerRun: 2 });
    const first = await buy(handle, purchase('r-1', 1_500));
    const firstRun = (await handle.describe()).runId;
    await buy(handle, purchase('r-2', 100));
    await buy(handle, purchase('r-3', 100));
    await buy(handle, purchase('r-4', 100));
    expect((await handle.describe()).runId).not.toBe(firstRun);
    // The same request again (same update id), in a later run: its first answer, counted.
    await expect(buy(handle, purchase('r-1', 1_500))).resolves.toEqual(first);
    // Another request for the same purchase: counted before, nothing added.
    await expect(buy(handle, purchase('r-1', 1_500), 'someone-else')).resolves.toEqual({
      ...first,
      counted: false,
    });
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({ lifetimePoints: 1_800 });
  });

  it('takes currency exponents from ISO 4217, not the runtime (defect 8)', async () => {
    const handle = await start({ customerId: customer(), couponThreshold: 1_000_000_000 });
    // Node 20.20's Intl says 0 digits for HUF and IDR and 0 for IQD: 100x the points.
    await expect(buy(handle, purchase('huf', 150_000, 'HUF'))).resolves.toMatchObject({
      points: 150_000,
    });
    await expect(buy(handle, purchase('iqd', 1_500, 'IQD'))).resolves.toMatchObject({
      points: 150,
    });
  });

  it('refuses a purchase that would earn more than 100 coupons, and no input stops the worker (defect 9)', async () => {
    const handle = await start({ customerId: customer() });
    const huge = purchase('boom-1', 9_007_199_254_740_990);
    const refused = await buy(handle, huge).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/at most 1000000 points/);
    await handle.signal(notifyPurchaseSignal, huge);
    await expect(buy(handle, purchase('most', 1_000_000))).resolves.toMatchObject({
      counted: true,
      couponsIssued: expect.arrayContaining([`${handle.workflowId.slice(8)}:100`]) as unknown,
    });
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      couponsIssued: 100,
      rejected: { malformed: 1 },
    });
  });

  it('carries a bounded state: 10,000 coupons fit in a few KB across continue-as-new (defect 6)', async () => {
    const customerId = customer();
    const handle = await start({ customerId, couponThreshold: 100, eventsPerRun: 100 });
    // 100 purchases of 100.00 USD = 1,000,000 points = 10,000 coupons at 100 points each.
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => buy(handle, purchase(`big-${round}-${i}`, 10_000))),
      );
    }
    await buy(handle, purchase('next-run', 100));
    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const carried = started?.input?.payloads?.[0]?.data?.length ?? 0;
    // The run now reading was started by continue-as-new, with the state carried.
    expect(started?.continuedExecutionRunId).toBeTruthy();
    expect(carried).toBeLessThan(16 * 1024);
    console.log(`state carried across continue-as-new with 10,000 coupons: ${carried} bytes`);
    await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
      couponsIssued: 10_001,
      lifetimePoints: 1_000_100,
    });
    await expect(repo.coupons.countByCustomer(customerId)).resolves.toBe(10_001);
  });
});
