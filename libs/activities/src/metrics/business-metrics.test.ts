import { UnavailableError } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, MetricsBuffer, Runtime } from '@temporalio/worker';
import { createBillingActivities } from '../billing/create-billing-activities';
import { createSandboxGateway } from '../billing/sandbox-gateway';
import { FaultLog, injectFaults, scriptedFaults } from '../faults/fault-injection';
import { createLoyaltyActivities } from '../loyalty/create-loyalty-activities';
import { createOutboxMailer } from '../mail/mailer';
import {
  createBillingMetrics,
  createLoyaltyMetrics,
  type BillingMetrics,
  type LoyaltyMetrics,
} from './business-metrics';

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

/** A port that records what it is told, in order. */
function recording() {
  const facts: string[] = [];
  const billing: BillingMetrics = {
    chargeRecorded: ({ outcome, attempt }) => facts.push(`charge ${outcome} #${attempt}`),
    emailQueued: (template) => facts.push(`email ${template}`),
  };
  const loyalty: LoyaltyMetrics = {
    purchaseCounted: ({ source, points }) => facts.push(`${source} +${points}`),
    couponIssued: () => facts.push('coupon'),
    emailQueued: (template) => facts.push(`email ${template}`),
  };
  return { facts, billing, loyalty };
}

const charge = {
  subscriptionId: 'sub-1',
  customerId: 'cus-1',
  period: 1,
  attempt: 1,
  amount: { amountMinor: 1999, currency: 'USD' },
  outcome: 'declined' as const,
  providerRef: 'ch_1',
  failureCode: 'card_declined',
  occurredAt: '2027-01-31T09:00:01.000Z',
};

describe('business metrics: one count per business fact, never per attempt', () => {
  it('billing: a charge, its retried write and its dunning retry; an email once per id', async () => {
    const repo = createInMemoryRepository();
    const { facts, billing } = recording();
    const activities = createBillingActivities({
      repository: repo,
      payments: createSandboxGateway({ payments: repo.payments }),
      mailer: createOutboxMailer({ outbox: repo.outbox }),
      loyalty: { notifyPurchase: () => Promise.resolve() },
      metrics: billing,
    });
    await activities.recordCharge(charge);
    await activities.recordCharge(charge); // the activity's retry: the entry is there
    await activities.recordCharge({ ...charge, attempt: 2, outcome: 'succeeded' });
    const email = {
      id: 'sub-1:payment_failed:1:1',
      customerId: 'cus-1',
      to: 'ada@example.com',
      template: 'payment_failed' as const,
      data: { subscriptionId: 'sub-1', period: 1, amount: '19.99 USD', retryAt: 'tomorrow' },
    };
    await activities.publish({ emails: [email], projection: null });
    await activities.sendEmail(email);
    expect(facts).toEqual(['charge declined #1', 'charge succeeded #2', 'email payment_failed']);
  });

  it('loyalty: a retried batch counts its rows once, a lost answer goes uncounted, coupons once', async () => {
    const repo = createInMemoryRepository();
    const log = new FaultLog();
    // The third ledger write applies and its answer is lost (a timeout after the write).
    const purchases = injectFaults(repo.purchases, 'purchases', {
      plan: scriptedFaults({ 'purchases.record#3': 'apply-then-fail' }),
      log,
      error: (kind) => new UnavailableError('faults', kind),
    });
    const { facts, loyalty } = recording();
    const activities = createLoyaltyActivities({
      repository: { ...repo, purchases },
      mailer: createOutboxMailer({ outbox: repo.outbox }),
      metrics: loyalty,
    });
    const entry = (purchaseId: string, points: number) => ({
      source: 'purchase' as const,
      purchaseId,
      total: { amountMinor: points, currency: 'USD' },
      points,
      requestId: null,
    });
    const batch = {
      customerId: 'cus-1',
      countedBy: 'run-a:1',
      processedAt: '2026-11-25T10:00:00.000Z',
      couponThreshold: 10_000,
      lifetimePoints: 0,
      entries: [entry('order-1', 100), entry('order-2', 200)],
    };
    await activities.countPurchases(batch);
    await activities.countPurchases(batch); // a retry after a lost answer: nothing new
    await expect(
      withRetries(() =>
        activities.countPurchases({ ...batch, countedBy: 'run-a:2', entries: [entry('o-3', 5)] }),
      ),
    ).resolves.toEqual([{ counted: true }]);
    expect(log.faults).toBe(1);
    const coupons = {
      customerId: 'cus-1',
      email: 'ada@example.com',
      from: 1,
      to: 2,
      value: { amountMinor: 500, currency: 'USD' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    };
    await activities.issueCoupons(coupons);
    await activities.issueCoupons(coupons);
    // o-3 was written by the attempt that lost its answer: counted by nobody (at most once).
    expect(facts.sort()).toEqual([
      'coupon',
      'coupon',
      'email coupon_issued',
      'email coupon_issued',
      'purchase +100',
      'purchase +200',
    ]);
  });
});

describe('the counters on the SDK Runtime meter', () => {
  it('names and labels what the worker serves', () => {
    const buffer = new MetricsBuffer();
    const runtime = Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { metrics: { buffer } },
    });
    const billing = createBillingMetrics(runtime.metricMeter);
    const loyalty = createLoyaltyMetrics(runtime.metricMeter);
    billing.chargeRecorded({ outcome: 'declined', attempt: 1 });
    billing.chargeRecorded({ outcome: 'succeeded', attempt: 2 });
    billing.emailQueued('receipt');
    loyalty.purchaseCounted({ source: 'charge', points: 1999 });
    loyalty.couponIssued();

    const sums = new Map<string, number>();
    for (const update of buffer.retrieveUpdates()) {
      const labels = Object.entries(update.attributes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .sort()
        .join(',');
      const key = `${update.metric.name}{${labels}}`;
      sums.set(key, (sums.get(key) ?? 0) + update.value);
    }
    expect(Object.fromEntries(sums)).toEqual({
      'invincible_charges_total{outcome=succeeded}': 1,
      'invincible_charges_total{outcome=declined}': 1,
      'invincible_charges_total{outcome=failed}': 0,
      'invincible_dunning_retries_total{outcome=succeeded}': 1,
      'invincible_dunning_retries_total{outcome=declined}': 0,
      'invincible_dunning_retries_total{outcome=failed}': 0,
      'invincible_emails_queued_total{template=receipt}': 1,
      'invincible_purchases_counted_total{source=purchase}': 0,
      'invincible_purchases_counted_total{source=charge}': 1,
      'invincible_points_awarded_total{source=purchase}': 0,
      'invincible_points_awarded_total{source=charge}': 1999,
      'invincible_coupons_issued_total{}': 1,
    });
  });
});
