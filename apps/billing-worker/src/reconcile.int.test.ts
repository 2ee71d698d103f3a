import {
  createBillingActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createReconciliationActivities,
  createSandboxGateway,
} from '@invincible/activities';
import { FaultLog, injectFaults, scriptedFaults } from '@invincible/activities/testing';
import {
  createRepository,
  UnavailableError,
  type ChargeEntry,
  type MigratableRepository,
  type PaymentRecord,
  type ProcessedPurchase,
  type Repository,
} from '@invincible/astra-repo';
import {
  BILLING_TASK_QUEUE,
  chargeIdempotencyKey,
  RECONCILE_SCHEDULE_ID,
  RECONCILE_TASK_QUEUE,
  RECONCILE_WORKFLOW_TYPE,
  reconcileWorkflowId,
  subscriptionWorkflowId,
  WORKFLOW_SOURCES,
  type ReconcileInput,
  type ReconcileResult,
  type SubscriptionInput,
} from '@invincible/workflows';
import { createTestNamespace, requireTestEnv } from '@invincible/workflows/testing';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureReconcileSchedule } from './reconcile-schedule';

/**
 * Reconciliation end to end on the Temporal dev server (a namespace of the suite's own; real
 * time, so a subscription's timers do not fire under the checks) over a Cassandra keyspace of its
 * own: a clean data set gives zero findings; each kind of drift, written straight into the
 * tables, is reported exactly; a drift that goes away is kept as no longer observed; a check
 * whose write applied and lost its answer writes no duplicate; the schedule is created, then
 * updated, then paused.
 */
jest.setTimeout(180_000);

const run = Date.now().toString(36);
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const SETTINGS = { graceMs: 15 * 60_000, outboxPendingBoundMs: 15 * 60_000, pageSize: 2 };

const subA = `rsub-a-${run}`; // canceled, with charges: the ledger checks
const subB = `rsub-b-${run}`; // a running workflow: the projection check
const cusA = `rcus-a-${run}`;
const cusBalance = `rcus-bal-${run}`;
const cusCoupon = `rcus-cpn-${run}`;

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let repository: MigratableRepository;
const namespace = `reconcile-${run}`;

beforeAll(async () => {
  const address = requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS');
  connection = await Connection.connect({ address });
  await createTestNamespace(connection, namespace);
  client = new Client({ connection, namespace });
  nativeConnection = await NativeConnection.connect({ address });
  repository = createRepository({
    backend: 'cassandra',
    contactPoints: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS').split(','),
    localDataCenter: process.env['INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1',
    keyspace: `reconcile_${run}`,
    replicationFactor: 1,
  });
  await repository.migrate();
});

afterAll(async () => {
  await repository?.close();
  await nativeConnection?.close();
  await connection?.close();
});

/** The billing worker's activities (reconciliation's over `repo`), as main.ts wires them. */
async function billingWorker(repo: Repository): Promise<Worker> {
  return Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue: BILLING_TASK_QUEUE,
    workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
    activities: {
      ...createBillingActivities({
        repository,
        payments: createSandboxGateway({ payments: repository.payments }),
        mailer: createOutboxMailer({ outbox: repository.outbox }),
        loyalty: createLoyaltyNotifier(client.workflow),
      }),
      ...createReconciliationActivities({ repository: repo, workflows: client.workflow }),
    },
  });
}

async function reconcileWith(repo: Repository, key: string): Promise<ReconcileResult> {
  const worker = await billingWorker(repo);
  return worker.runUntil(
    client.workflow.execute(RECONCILE_WORKFLOW_TYPE, {
      taskQueue: RECONCILE_TASK_QUEUE,
      workflowId: reconcileWorkflowId(`${key}-${run}`),
      args: [{ settings: SETTINGS } satisfies ReconcileInput],
    }) as Promise<ReconcileResult>,
  );
}

const charge = (period: number, attempt = 1, over: Partial<ChargeEntry> = {}): ChargeEntry => ({
  subscriptionId: subA,
  period,
  attempt,
  customerId: cusA,
  amount: { amountMinor: 1999, currency: 'USD' },
  outcome: 'succeeded',
  providerRef: `ch_${period}_${attempt}`,
  failureCode: null,
  occurredAt: ago(2 * HOUR),
  ...over,
});
const payment = (
  period: number,
  attempt = 1,
  over: Partial<PaymentRecord> = {},
): PaymentRecord => ({
  idempotencyKey: chargeIdempotencyKey(subA, period, attempt),
  customerId: cusA,
  amount: { amountMinor: 1999, currency: 'USD' },
  paymentMethod: 'pm_card_visa',
  status: 'succeeded',
  providerRef: `ch_${period}_${attempt}`,
  declineCode: null,
  createdAt: ago(2 * HOUR),
  ...over,
});
const award = (customerId: string, purchaseId: string, points: number): ProcessedPurchase => ({
  customerId,
  source: 'charge',
  purchaseId,
  total: { amountMinor: points / 100, currency: 'USD' },
  points,
  processedAt: ago(2 * HOUR),
  countedBy: 'run-1:1',
  requestId: null,
  balanceAfter: points,
  couponsIssued: [],
});
/** A charge as the workflow leaves it: ledger row, provider record, points award. */
async function paidCharge(period: number, attempt = 1): Promise<void> {
  await repository.charges.record(charge(period, attempt));
  await repository.payments.claim(payment(period, attempt));
  await repository.purchases.record(
    award(cusA, chargeIdempotencyKey(subA, period, attempt), 199_900),
  );
}
const account = (customerId: string, lifetime: number, balance: number, coupons: number) =>
  repository.loyalty.save({
    customerId,
    balance,
    lifetimePoints: lifetime,
    couponsIssued: coupons,
    couponsRedeemed: 0,
    version: 1,
    updatedAt: ago(HOUR),
  });
const coupon = (customerId: string, n: number) =>
  repository.coupons.issue({
    id: `${customerId}:${n}`,
    customerId,
    value: { amountMinor: 500, currency: 'USD' },
    status: 'issued',
    issuedAt: ago(HOUR),
    redeemedAt: null,
    redeemedBy: null,
  });
const email = (id: string, createdAt: Date) =>
  repository.outbox.enqueue({
    id,
    customerId: cusA,
    to: 'ada@example.com',
    template: 'receipt',
    subject: 'Your receipt',
    body: 'Thank you.',
    status: 'pending',
    createdAt,
    sentAt: null,
  });

async function openFindings(): Promise<Map<string, { actual: string; lastRunId: string }>> {
  const open = new Map<string, { actual: string; lastRunId: string }>();
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await repository.reconciliation.listFindings('open', { limit: 100, cursor });
    for (const f of page.items) open.set(f.key, { actual: f.actual, lastRunId: f.lastRunId });
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return open;
}

const EXPECTED_DRIFT = [
  `payment_without_charge:${subA}:2`,
  `charge_without_payment:${subA}:3`,
  `duplicate_charge:${subA}:1`,
  `charge_payment_mismatch:${subA}:4`,
  `charge_award_missing:${subA}:5`,
  `loyalty_points_mismatch:${cusBalance}`,
  `coupons_mismatch:${cusCoupon}`,
  `outbox_stuck:mail-stuck-${run}`,
  `projection_workflow_mismatch:${subB}`,
].sort();

describe('reconcile', () => {
  it('a clean data set has zero findings', async () => {
    // subA: canceled (its workflow long gone), period 1 charged, paid and awarded.
    await repository.subscriptions.save({
      id: subA,
      customerId: cusA,
      status: 'canceled',
      price: { amountMinor: 1999, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
      anchorAt: ago(40 * 24 * HOUR),
      timeZone: 'UTC',
      nextChargeAt: null,
      periodsBilled: 1,
      canceledAt: ago(3 * 24 * HOUR),
      cancelEffectiveAt: ago(3 * 24 * HOUR),
      cancelReason: 'customer',
      pausedAt: null,
      version: 9,
      updatedAt: ago(3 * 24 * HOUR),
    });
    await paidCharge(1);
    // A decline needs no payment and no award.
    await repository.charges.record(charge(1, 2, { outcome: 'declined', providerRef: null }));
    await account(cusA, 199_900, 9_900, 19);
    for (let n = 1; n <= 19; n++) await coupon(cusA, n);
    await email(`mail-young-${run}`, ago(60_000));
    // subB: a running subscription whose first charge is a month away; it saves its projection.
    const input: SubscriptionInput = {
      subscriptionId: subB,
      customerId: `rcus-b-${run}`,
      customerEmail: 'grace@example.com',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 999, currency: 'EUR' },
      interval: { unit: 'month', count: 1 },
      startAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString(),
      timeZone: 'UTC',
    };
    const worker = await billingWorker(repository);
    await worker.runUntil(async () => {
      await client.workflow.start('subscription', {
        taskQueue: BILLING_TASK_QUEUE,
        workflowId: subscriptionWorkflowId(subB),
        args: [input],
      });
      for (let i = 0; i < 100; i++) {
        if (await repository.subscriptions.get(subB).catch(() => null)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });

    const result = await reconcileWith(repository, 'clean');
    expect(result.findings).toEqual({});
    expect(result.checked).toEqual({
      charges: 2,
      payments: 1,
      projections: 2,
      loyalty: 1,
      outbox: 1,
    });
    expect(await openFindings()).toEqual(new Map());
    const stored = await repository.reconciliation.getRun(result.runId);
    expect(stored).toMatchObject({ status: 'completed', findings: {} });
    expect((await repository.reconciliation.latestRun())?.id).toBe(result.runId);
  });

  it('reports each kind of drift written into the tables, exactly', async () => {
    // Charged at the provider, never in the ledger.
    await repository.payments.claim(payment(2));
    // In the ledger as succeeded, never charged (its award is there: only the payment is missing).
    await repository.charges.record(charge(3));
    await repository.purchases.record(award(cusA, chargeIdempotencyKey(subA, 3, 1), 199_900));
    // Period 1 charged twice.
    await paidCharge(1, 3);
    // The provider charged another amount.
    await repository.charges.record(charge(4));
    await repository.payments.claim(
      payment(4, 1, { amount: { amountMinor: 2999, currency: 'USD' } }),
    );
    await repository.purchases.record(award(cusA, chargeIdempotencyKey(subA, 4, 1), 199_900));
    // Succeeded and paid, but its points award never reached the ledger.
    await repository.charges.record(charge(5));
    await repository.payments.claim(payment(5));
    // The ledger's points rose with the awards above: keep cusA's account in step with it.
    await repository.loyalty.save({
      customerId: cusA,
      balance: 9_600,
      lifetimePoints: 799_600,
      couponsIssued: 79,
      couponsRedeemed: 0,
      version: 2,
      updatedAt: ago(HOUR),
    });
    for (let n = 20; n <= 79; n++) await coupon(cusA, n);
    // A balance off by 250 points.
    await repository.purchases.record(award(cusBalance, 'order-1', 4_000));
    await account(cusBalance, 4_000, 4_250, 0);
    // 20,000 points are two coupons; only one is stored.
    await repository.purchases.record(award(cusCoupon, 'order-1', 20_000));
    await account(cusCoupon, 20_000, 0, 2);
    await coupon(cusCoupon, 1);
    // An email pending for an hour.
    await email(`mail-stuck-${run}`, ago(HOUR));
    // The projection says active; the workflow was terminated.
    await client.workflow.getHandle(subscriptionWorkflowId(subB)).terminate('drift for the test');

    const result = await reconcileWith(repository, 'drift');
    expect([...(await openFindings()).keys()].sort()).toEqual(EXPECTED_DRIFT);
    expect(result.findings).toEqual({
      payment_without_charge: 1,
      charge_without_payment: 1,
      duplicate_charge: 1,
      charge_payment_mismatch: 1,
      charge_award_missing: 1,
      loyalty_points_mismatch: 1,
      coupons_mismatch: 1,
      outbox_stuck: 1,
      projection_workflow_mismatch: 1,
    });
    const subBFinding = await repository.reconciliation.getFinding(
      `projection_workflow_mismatch:${subB}`,
    );
    expect(subBFinding).toMatchObject({
      expected: 'workflow terminated',
      actual: expect.stringMatching(/^projection says active/) as string,
      status: 'open',
      firstRunId: result.runId,
    });
    expect(
      await repository.reconciliation.getFinding(`loyalty_points_mismatch:${cusBalance}`),
    ).toMatchObject({
      expected: 'lifetime 4000, balance 4000 (from the ledger)',
      actual: 'lifetime 4000, balance 4250',
    });
    // Nothing was corrected: the money rows are as written.
    await expect(repository.charges.get(subA, 2, 1)).rejects.toThrow('not found');
    expect((await repository.loyalty.get(cusBalance)).balance).toBe(4_250);
  });

  it('a drift that went away is kept as no longer observed; the others move on to the new run', async () => {
    await repository.outbox.markSent(`mail-stuck-${run}`, new Date());
    const result = await reconcileWith(repository, 'after-send');
    expect(result.noLongerObserved).toBe(1);
    const open = await openFindings();
    expect([...open.keys()].sort()).toEqual(
      EXPECTED_DRIFT.filter((k) => !k.startsWith('outbox_stuck')),
    );
    expect([...open.values()].every((f) => f.lastRunId === result.runId)).toBe(true);
    const gone = await repository.reconciliation.getFinding(`outbox_stuck:mail-stuck-${run}`);
    expect(gone).toMatchObject({
      status: 'unobserved',
      lastRunId: expect.stringContaining('drift') as string,
    });
  });

  it('a check whose finding write applied and lost its answer retries without a duplicate', async () => {
    const log = new FaultLog();
    const faulty: Repository = {
      ...repository,
      reconciliation: injectFaults(repository.reconciliation, 'reconciliation', {
        plan: scriptedFaults({
          'reconciliation.observe#1': 'apply-then-fail',
          'reconciliation.observe#4': 'apply-then-fail',
        }),
        log,
        error: (kind) => new UnavailableError('faults', kind),
      }),
    };
    const result = await reconcileWith(faulty, 'retried');
    expect(log.injected['apply-then-fail']).toBe(2);
    // The same findings, each counted once, as by a run without faults.
    expect(Object.values(result.findings).reduce((a, b) => a + b, 0)).toBe(
      EXPECTED_DRIFT.length - 1,
    );
    expect([...(await openFindings()).keys()].sort()).toEqual(
      EXPECTED_DRIFT.filter((k) => !k.startsWith('outbox_stuck')),
    );
    const all = await repository.reconciliation.listFindings('all', { limit: 100 });
    expect(all.items).toHaveLength(EXPECTED_DRIFT.length);
  });
});

describe('the reconcile schedule', () => {
  it('is created, then updated in place, then paused by RECONCILE_INTERVAL=off', async () => {
    const settings = { graceMs: 60_000 };
    expect(await ensureReconcileSchedule(client.schedule, { intervalMs: HOUR, settings })).toBe(
      'created',
    );
    expect(await ensureReconcileSchedule(client.schedule, { intervalMs: 2 * HOUR, settings })).toBe(
      'updated',
    );
    const handle = client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.intervals).toMatchObject([{ every: 2 * HOUR }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.action).toMatchObject({
      workflowType: RECONCILE_WORKFLOW_TYPE,
      taskQueue: RECONCILE_TASK_QUEUE,
    });
    expect(await ensureReconcileSchedule(client.schedule, { intervalMs: null, settings })).toBe(
      'paused',
    );
    expect((await handle.describe()).state.paused).toBe(true);
    await handle.delete();
    expect(await ensureReconcileSchedule(client.schedule, { intervalMs: null, settings })).toBe(
      'absent',
    );
  });
});
