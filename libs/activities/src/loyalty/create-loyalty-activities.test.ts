import { UnavailableError } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import type { LoyaltyActivities } from '@invincible/workflows';
import { ApplicationFailure } from '@temporalio/common';
import { FaultLog, injectFaults, scriptedFaults } from '../faults/fault-injection';
import { createOutboxMailer } from '../mail/mailer';
import { createLoyaltyActivities } from './create-loyalty-activities';

/** The activities over an in-memory repository whose ledger writes fail as `script` says. */
function setup(script: Record<string, 'apply-then-fail' | 'fail-before' | 'apply-late'> = {}) {
  const repo = createInMemoryRepository();
  const log = new FaultLog();
  const purchases = injectFaults(repo.purchases, 'purchases', {
    plan: scriptedFaults(script),
    log,
    error: (kind) => new UnavailableError('faults', kind),
  });
  return {
    repo,
    log,
    activities: createLoyaltyActivities({
      repository: { ...repo, purchases },
      mailer: createOutboxMailer({ outbox: repo.outbox }),
      now: () => new Date('2026-11-25T10:00:00Z'),
    }),
  };
}

/** Runs an activity the way Temporal does: a retryable failure is attempted again. */
async function withRetries<T>(attempt: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= attempts || error instanceof ApplicationFailure) throw error;
    }
  }
}

type Batch = Parameters<LoyaltyActivities['countPurchases']>[0];
const batch = (overrides: Partial<Batch> = {}): Batch => ({
  customerId: 'cus-1',
  countedBy: 'run-a:1',
  processedAt: '2026-11-25T10:00:00.000Z',
  couponThreshold: 10_000,
  lifetimePoints: 9_000,
  entries: [
    {
      source: 'purchase',
      purchaseId: 'order-1',
      total: { amountMinor: 1_250, currency: 'USD' },
      points: 1_250,
      requestId: 'purchase:order-1',
    },
    {
      source: 'purchase',
      purchaseId: 'order-2',
      total: { amountMinor: 500, currency: 'USD' },
      points: 500,
      requestId: null,
    },
  ],
  ...overrides,
});

describe('loyalty activities', () => {
  it('countPurchases counts a batch in order and stores the first answer with each row', async () => {
    const { repo, activities } = setup();
    await expect(activities.countPurchases(batch())).resolves.toEqual([
      { counted: true },
      { counted: true },
    ]);
    await expect(
      repo.purchases.get('cus-1', { source: 'purchase', purchaseId: 'order-1' }),
    ).resolves.toMatchObject({
      countedBy: 'run-a:1',
      balanceAfter: 250,
      couponsIssued: ['cus-1:1'],
    });
  });

  it('a retried batch whose first attempt wrote and lost its answer still counts its rows (defect 1)', async () => {
    // Before the writer token, the retry read its own rows as "counted elsewhere": 0 points.
    const { activities, log } = setup({ 'purchases.record#2': 'apply-then-fail' });
    const first = await withRetries(() => activities.countPurchases(batch()));
    expect(log.faults).toBe(1);
    expect(first).toEqual([{ counted: true }, { counted: true }]);
  });

  it('a row another writer stored is "counted before", answered with its first answer', async () => {
    const { activities } = setup();
    await activities.countPurchases(batch());
    const later = await activities.countPurchases(
      batch({ countedBy: 'run-b:7', lifetimePoints: 10_750 }),
    );
    expect(later).toEqual([
      {
        counted: false,
        points: 1_250,
        requestId: 'purchase:order-1',
        balanceAfter: 250,
        couponsIssued: ['cus-1:1'],
      },
      { counted: false, points: 500, requestId: null, balanceAfter: 750, couponsIssued: [] },
    ]);
  });

  it("one customer's purchase id is no other customer's, and a charge's award is no purchase (defect 2)", async () => {
    const { repo, activities } = setup();
    await activities.countPurchases(batch());
    const other = await activities.countPurchases(
      batch({ customerId: 'cus-2', countedBy: 'run-c:1', lifetimePoints: 0 }),
    );
    expect(other).toEqual([{ counted: true }, { counted: true }]);
    await expect(
      repo.purchases.get('cus-2', { source: 'purchase', purchaseId: 'order-2' }),
    ).resolves.toMatchObject({ balanceAfter: 1_750 });
    const charge = await activities.countPurchases(
      batch({
        countedBy: 'run-a:2',
        lifetimePoints: 10_750,
        entries: [
          {
            source: 'charge',
            purchaseId: 'order-1',
            total: { amountMinor: 100, currency: 'USD' },
            points: 100,
            requestId: null,
          },
        ],
      }),
    );
    expect(charge).toEqual([{ counted: true }]);
    await expect(
      repo.purchases.get('cus-1', { source: 'charge', purchaseId: 'order-1' }),
    ).resolves.toMatchObject({ balanceAfter: 850 });
    await expect(repo.purchases.totals('cus-1')).resolves.toEqual({ purchases: 3, points: 1_850 });
  });

  it('the pre-ledger batch activity also recognises its own retried write', async () => {
    const { activities } = setup({ 'purchases.record#1': 'apply-then-fail' });
    const entries = [
      { purchaseId: 'order-9', total: { amountMinor: 100, currency: 'USD' }, points: 100 },
    ];
    const request = { customerId: 'cus-1', processedAt: '2026-11-25T11:00:00.000Z', entries };
    await expect(withRetries(() => activities.recordProcessedPurchases(request))).resolves.toEqual([
      { created: true, points: 100 },
    ]);
    await expect(
      activities.recordProcessedPurchases({ ...request, processedAt: '2026-11-25T12:00:00.000Z' }),
    ).resolves.toEqual([{ created: false, points: 100 }]);
  });

  it('issueCoupons stores and emails a range once, however often it is retried', async () => {
    const { repo, activities } = setup();
    const request = {
      customerId: 'cus-1',
      email: 'ada@example.com',
      from: 1,
      to: 3,
      value: { amountMinor: 500, currency: 'USD' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    };
    await activities.issueCoupons(request);
    await activities.issueCoupons(request);
    expect((await repo.coupons.listByCustomer('cus-1')).items.map((c) => c.id)).toEqual([
      'cus-1:1',
      'cus-1:2',
      'cus-1:3',
    ]);
    const mails = (await repo.outbox.listByCustomer('cus-1')).items;
    expect(mails.map((m) => m.subject)).toEqual(Array(3).fill('You earned a 5.00 USD coupon'));
  });

  it('redeemCoupon answers a retry of the same request with the coupon, and refuses another (defect 1)', async () => {
    const { activities } = setup();
    await activities.issueCoupons({
      customerId: 'cus-1',
      email: null,
      from: 1,
      to: 1,
      value: { amountMinor: 500, currency: 'USD' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    });
    const request = {
      id: 'cus-1:1',
      customerId: 'cus-1',
      at: '2026-11-26T00:00:00.000Z',
      requestId: 'u-1',
    };
    const first = await activities.redeemCoupon(request);
    // The answer of the first attempt was lost: the retry (a later instant) is the same redemption.
    await expect(
      activities.redeemCoupon({ ...request, at: '2026-11-26T00:00:05.000Z' }),
    ).resolves.toEqual(first);
    const failure = await activities
      .redeemCoupon({ ...request, requestId: 'u-2' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ConflictError', nonRetryable: true });
  });

  it('loadAccount rehydrates from the tables: the ledger sum, the coupons stored, the projection', async () => {
    const { repo, activities } = setup();
    await activities.countPurchases(batch({ lifetimePoints: 0 }));
    await activities.issueCoupons({
      customerId: 'cus-1',
      email: null,
      from: 1,
      to: 2,
      value: { amountMinor: 500, currency: 'USD' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    });
    await activities.saveAccount({
      customerId: 'cus-1',
      balance: 1,
      lifetimePoints: 1,
      couponsIssued: 2,
      couponsRedeemed: 1,
      version: 41,
    });
    await expect(activities.loadAccount({ customerId: 'cus-1' })).resolves.toEqual({
      lifetimePoints: 1_750,
      couponsIssued: 2,
      couponsRedeemed: 1,
      version: 41,
      projectionStale: true,
    });
    await expect(activities.loadAccount({ customerId: 'cus-new' })).resolves.toEqual({
      lifetimePoints: 0,
      couponsIssued: 0,
      couponsRedeemed: 0,
      version: 0,
      projectionStale: false,
    });
    expect(await repo.loyalty.get('cus-1')).toMatchObject({ version: 41 });
  });
});
