import type {
  ChargeEntry,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  SubscriptionProjection,
} from '@invincible/astra-repo';
import type { SubscriptionState } from '@invincible/workflows';
import {
  compareChargeWithPayment,
  compareLoyalty,
  comparePaymentWithCharge,
  compareProjection,
  duplicateCharges,
  missingAwards,
  parseChargeKey,
  stuckEmail,
} from './reconciliation-checks';

const now = new Date('2026-05-01T12:00:00Z');
const minutes = (n: number) => new Date(now.getTime() - n * 60_000);
const GRACE = 15 * 60_000;

const charge = (over: Partial<ChargeEntry> = {}): ChargeEntry => ({
  subscriptionId: 'sub_1',
  period: 2,
  attempt: 1,
  customerId: 'cus_1',
  amount: { amountMinor: 1999, currency: 'USD' },
  outcome: 'succeeded',
  providerRef: 'ch_1',
  failureCode: null,
  occurredAt: minutes(60),
  ...over,
});
const payment = (over: Partial<PaymentRecord> = {}): PaymentRecord => ({
  idempotencyKey: 'sub_1:2',
  customerId: 'cus_1',
  amount: { amountMinor: 1999, currency: 'USD' },
  paymentMethod: 'pm_card_visa',
  status: 'succeeded',
  providerRef: 'ch_1',
  declineCode: null,
  createdAt: minutes(60),
  ...over,
});

describe('ledger against the payment gateway', () => {
  it('a succeeded charge with its payment is clean', () => {
    expect(compareChargeWithPayment(charge(), payment())).toEqual([]);
    expect(comparePaymentWithCharge(payment(), charge(), now, GRACE)).toEqual([]);
  });

  it('a succeeded charge the provider never charged is charge_without_payment, keyed by its idempotency key', () => {
    expect(compareChargeWithPayment(charge({ attempt: 3 }), undefined)).toEqual([
      {
        key: 'charge_without_payment:sub_1:2:3',
        kind: 'charge_without_payment',
        subjectId: 'sub_1:2:3',
        customerId: 'cus_1',
        expected: 'succeeded 1999 USD for cus_1',
        actual: 'no payment at the provider',
      },
    ]);
    expect(compareChargeWithPayment(charge(), payment({ status: 'declined' }))[0]?.actual).toBe(
      'declined at the provider',
    );
  });

  it('declined and failed ledger rows need no payment', () => {
    expect(compareChargeWithPayment(charge({ outcome: 'declined' }), undefined)).toEqual([]);
    expect(compareChargeWithPayment(charge({ outcome: 'failed' }), undefined)).toEqual([]);
  });

  it('another amount or currency at the provider is charge_payment_mismatch', () => {
    const [f] = compareChargeWithPayment(
      charge(),
      payment({ amount: { amountMinor: 1999, currency: 'EUR' } }),
    );
    expect(f).toMatchObject({
      kind: 'charge_payment_mismatch',
      expected: 'succeeded 1999 USD for cus_1',
      actual: 'succeeded 1999 EUR for cus_1',
    });
  });

  it('a payment without its ledger row is payment_without_charge, after the grace period only', () => {
    expect(comparePaymentWithCharge(payment(), undefined, now, GRACE)).toEqual([
      expect.objectContaining({ kind: 'payment_without_charge', subjectId: 'sub_1:2' }),
    ]);
    expect(
      comparePaymentWithCharge(payment({ createdAt: minutes(1) }), undefined, now, GRACE),
    ).toEqual([]);
    // Declines and voided keys are not money.
    expect(
      comparePaymentWithCharge(payment({ status: 'declined' }), undefined, now, GRACE),
    ).toEqual([]);
  });

  it('a payment the ledger recorded as failed is a mismatch', () => {
    expect(
      comparePaymentWithCharge(payment(), charge({ outcome: 'failed' }), now, GRACE)[0],
    ).toMatchObject({ kind: 'charge_payment_mismatch', actual: 'failed in the ledger' });
  });

  it('parses charge idempotency keys and nothing else', () => {
    expect(parseChargeKey('sub_1:2')).toEqual({ subscriptionId: 'sub_1', period: 2, attempt: 1 });
    expect(parseChargeKey('sub_1:2:3')).toEqual({ subscriptionId: 'sub_1', period: 2, attempt: 3 });
    expect(parseChargeKey('sub_1')).toBeNull();
    expect(parseChargeKey('sub_1:x')).toBeNull();
    expect(parseChargeKey('a:1:2:3')).toBeNull();
  });

  it('two successful attempts of one period are duplicate_charge, across pages too', () => {
    const page1 = [charge({ period: 1 }), charge({ period: 2, attempt: 1, outcome: 'declined' })];
    const page2 = [charge({ period: 2, attempt: 2 }), charge({ period: 2, attempt: 3 })];
    const first = duplicateCharges(page1, null);
    expect(first.findings).toEqual([]);
    const second = duplicateCharges(page2, first.last);
    expect(second.findings).toEqual([
      expect.objectContaining({
        key: 'duplicate_charge:sub_1:2',
        actual: 'attempts 2 and 3 succeeded',
      }),
    ]);
    expect(
      duplicateCharges([charge({ period: 3, attempt: 2 })], { period: 3, attempt: 1 }).findings,
    ).toHaveLength(1);
  });
});

describe('projections against the workflows', () => {
  const projection = (over: Partial<SubscriptionProjection> = {}): SubscriptionProjection => ({
    id: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    price: { amountMinor: 1999, currency: 'USD' },
    interval: { unit: 'month', count: 1 },
    anchorAt: minutes(100),
    timeZone: 'UTC',
    nextChargeAt: null,
    periodsBilled: 2,
    canceledAt: null,
    cancelEffectiveAt: null,
    cancelReason: null,
    pausedAt: null,
    version: 5,
    updatedAt: minutes(30),
    ...over,
  });
  const state = (over: Partial<SubscriptionState> = {}): SubscriptionState => ({
    status: 'active',
    price: { amountMinor: 1999, currency: 'USD' },
    pendingPrice: null,
    anchorAt: minutes(100).toISOString(),
    trialEndsAt: null,
    periodsBilled: 2,
    nextPeriod: 3,
    nextChargeAt: null,
    dunning: null,
    lastCharge: null,
    pausedAt: null,
    cancel: null,
    version: 5,
    ...over,
  });

  it('agrees with a running workflow at the same version', () => {
    expect(
      compareProjection(projection(), { kind: 'running', state: state() }, now, GRACE),
    ).toEqual([]);
  });

  it('active for a terminated workflow is projection_workflow_mismatch', () => {
    expect(
      compareProjection(projection(), { kind: 'closed', status: 'TERMINATED' }, now, GRACE),
    ).toEqual([
      expect.objectContaining({
        key: 'projection_workflow_mismatch:sub_1',
        expected: 'workflow terminated',
        actual: 'projection says active (version 5)',
      }),
    ]);
    // A canceled subscription whose workflow completed is what should be.
    expect(
      compareProjection(
        projection({ status: 'canceled' }),
        { kind: 'closed', status: 'COMPLETED' },
        now,
        GRACE,
      ),
    ).toEqual([]);
  });

  it('a live projection without a workflow is projection_workflow_missing', () => {
    expect(compareProjection(projection(), { kind: 'missing' }, now, GRACE)[0]?.kind).toBe(
      'projection_workflow_missing',
    );
    expect(
      compareProjection(projection({ status: 'completed' }), { kind: 'missing' }, now, GRACE),
    ).toEqual([]);
  });

  it('a running workflow that does not answer is workflow_unanswered', () => {
    expect(
      compareProjection(
        projection(),
        { kind: 'unanswered', reason: 'deadline exceeded' },
        now,
        GRACE,
      ),
    ).toEqual([
      expect.objectContaining({
        key: 'workflow_unanswered:sub_1',
        actual: 'no answer: deadline exceeded',
      }),
    ]);
  });

  it('another status or price at the same version is a mismatch; a projection trailing briefly is not', () => {
    expect(
      compareProjection(
        projection(),
        { kind: 'running', state: state({ status: 'paused' }) },
        now,
        GRACE,
      ),
    ).toHaveLength(1);
    const newer = { kind: 'running' as const, state: state({ version: 6, status: 'paused' }) };
    expect(compareProjection(projection({ updatedAt: minutes(1) }), newer, now, GRACE)).toEqual([]);
    expect(
      compareProjection(projection({ updatedAt: minutes(60) }), newer, now, GRACE),
    ).toHaveLength(1);
  });
});

describe('loyalty balances against the points ledger', () => {
  const account = (over: Partial<LoyaltyAccount> = {}): LoyaltyAccount => ({
    customerId: 'cus_1',
    balance: 2_500,
    lifetimePoints: 22_500,
    couponsIssued: 2,
    couponsRedeemed: 1,
    version: 7,
    updatedAt: now,
    ...over,
  });

  it('an account that adds up is clean', () => {
    expect(compareLoyalty(account(), 22_500, 2, 10_000)).toEqual([]);
  });

  it('a balance off by N is loyalty_points_mismatch', () => {
    expect(compareLoyalty(account({ balance: 2_600 }), 22_500, 2, 10_000)).toEqual([
      expect.objectContaining({
        key: 'loyalty_points_mismatch:cus_1',
        expected: 'lifetime 22500, balance 2500 (from the ledger)',
        actual: 'lifetime 22500, balance 2600',
      }),
    ]);
  });

  it('a missing coupon is coupons_mismatch', () => {
    expect(compareLoyalty(account(), 22_500, 1, 10_000)).toEqual([
      expect.objectContaining({
        kind: 'coupons_mismatch',
        expected: '2 coupons (floor(22500 / 10000))',
        actual: '1 stored, 2 on the account',
      }),
    ]);
  });

  it('a succeeded charge without its award past the grace period is charge_award_missing', () => {
    const charges = [
      charge({ period: 1 }),
      charge({ period: 2 }),
      charge({ period: 3, occurredAt: minutes(1) }),
      charge({ period: 4, outcome: 'declined' }),
    ];
    expect(missingAwards(charges, new Set(['sub_1:1']), now, GRACE)).toEqual([
      expect.objectContaining({ key: 'charge_award_missing:sub_1:2', customerId: 'cus_1' }),
    ]);
  });
});

describe('outbox', () => {
  const email = (over: Partial<OutboxEmail> = {}): OutboxEmail => ({
    id: 'mail-1',
    customerId: 'cus_1',
    to: 'ada@example.com',
    template: 'receipt',
    subject: 'Receipt',
    body: 'Thanks',
    status: 'pending',
    createdAt: minutes(20),
    sentAt: null,
    ...over,
  });

  it('a pending email past the bound is outbox_stuck; younger or sent ones are not', () => {
    expect(stuckEmail(email(), now, GRACE)).toEqual([
      expect.objectContaining({ key: 'outbox_stuck:mail-1', kind: 'outbox_stuck' }),
    ]);
    expect(stuckEmail(email({ createdAt: minutes(5) }), now, GRACE)).toEqual([]);
    expect(stuckEmail(email({ status: 'sent' }), now, GRACE)).toEqual([]);
  });
});
