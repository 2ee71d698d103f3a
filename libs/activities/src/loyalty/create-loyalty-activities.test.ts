import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createOutboxMailer } from '../mail/mailer';
import { createLoyaltyActivities } from './create-loyalty-activities';

function setup() {
  const repo = createInMemoryRepository();
  return {
    repo,
    activities: createLoyaltyActivities({
      repository: repo,
      mailer: createOutboxMailer({ outbox: repo.outbox }),
      now: () => new Date('2026-11-25T10:00:00Z'),
    }),
  };
}

const entry = {
  purchaseId: 'order-1',
  customerId: 'cus-1',
  total: { amountMinor: 1250, currency: 'USD' },
  points: 1250,
  processedAt: '2026-11-25T10:00:00.000Z',
};
const coupon = {
  id: 'cus-1:1',
  customerId: 'cus-1',
  email: 'ada@example.com',
  value: { amountMinor: 500, currency: 'USD' },
  issuedAt: '2026-11-25T10:00:00.000Z',
};

describe('loyalty activities', () => {
  it('recordProcessedPurchase is the dedupe check: the second call reports the first points', async () => {
    const { activities } = setup();
    await expect(activities.recordProcessedPurchase(entry)).resolves.toEqual({
      created: true,
      points: 1250,
    });
    await expect(activities.recordProcessedPurchase({ ...entry, points: 9 })).resolves.toEqual({
      created: false,
      points: 1250,
    });
  });

  it('recordProcessedPurchases answers a batch in order, old ids with their first points', async () => {
    const { repo, activities } = setup();
    await activities.recordProcessedPurchase(entry);
    const result = await activities.recordProcessedPurchases({
      customerId: 'cus-1',
      processedAt: '2026-11-25T11:00:00.000Z',
      entries: [
        { purchaseId: 'order-2', total: { amountMinor: 100, currency: 'USD' }, points: 100 },
        { purchaseId: 'order-1', total: { amountMinor: 1250, currency: 'USD' }, points: 7 },
        { purchaseId: 'order-3', total: { amountMinor: 300, currency: 'JPY' }, points: 30_000 },
      ],
    });
    expect(result).toEqual([
      { created: true, points: 100 },
      { created: false, points: 1250 },
      { created: true, points: 30_000 },
    ]);
    const again = await activities.recordProcessedPurchases({
      customerId: 'cus-1',
      processedAt: '2026-11-25T12:00:00.000Z',
      entries: [{ purchaseId: 'order-3', total: { amountMinor: 300, currency: 'JPY' }, points: 1 }],
    });
    expect(again).toEqual([{ created: false, points: 30_000 }]);
    expect((await repo.purchases.get('order-3')).processedAt).toEqual(
      new Date('2026-11-25T11:00:00.000Z'),
    );
  });

  it('issueCoupon stores the coupon and emails it once, however often it is retried', async () => {
    const { repo, activities } = setup();
    await activities.issueCoupon(coupon);
    await activities.issueCoupon(coupon);
    expect((await repo.coupons.listByCustomer('cus-1')).items.map((c) => c.id)).toEqual([
      'cus-1:1',
    ]);
    const mails = (await repo.outbox.listByCustomer('cus-1')).items;
    expect(mails.map((m) => [m.id, m.subject])).toEqual([
      ['cus-1:1:coupon', 'You earned a 5.00 USD coupon'],
    ]);
  });

  it('redeemCoupon refuses a second redemption as a non-retryable failure', async () => {
    const { activities } = setup();
    await activities.issueCoupon(coupon);
    await activities.redeemCoupon({
      id: 'cus-1:1',
      customerId: 'cus-1',
      at: '2026-11-26T00:00:00.000Z',
    });
    const failure = await activities
      .redeemCoupon({ id: 'cus-1:1', customerId: 'cus-1', at: '2026-11-26T00:00:01.000Z' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ConflictError', nonRetryable: true });
  });
});
