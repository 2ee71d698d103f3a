import type { ChargeOutcome, PurchaseSource } from '@invincible/astra-repo';
import type { MetricMeter } from '@temporalio/common';

/**
 * What the billing activities count. Each call is one business fact, made where the repository
 * reports the write as newly applied (`created`), never per attempt: an activity retried after
 * its write applied does not count it again. The converse is the price: an attempt whose write
 * applied but whose answer was lost is not counted by its retry either — these counters are
 * at-most-once, for dashboards and alerts; the ledgers (and `reconcile`) remain the truth.
 */
export interface BillingMetrics {
  /** A charge attempt written to the ledger: `attempt` > 1 is a dunning retry. */
  chargeRecorded(charge: { readonly outcome: ChargeOutcome; readonly attempt: number }): void;
  /** An email written to the outbox (a receipt, a `payment_failed` dunning notice…). */
  emailQueued(template: string): void;
}

/** What the loyalty activities count, on the same terms as {@link BillingMetrics}. */
export interface LoyaltyMetrics {
  /** A purchase (or a charge's award) written to the points ledger, with its points. */
  purchaseCounted(purchase: { readonly source: PurchaseSource; readonly points: number }): void;
  /** A coupon written. */
  couponIssued(): void;
  /** An email written to the outbox (`coupon_issued`). */
  emailQueued(template: string): void;
}

/** Counts nothing: the default of the activity factories (tests, benches, tools). */
export const NO_BILLING_METRICS: BillingMetrics = {
  chargeRecorded: () => undefined,
  emailQueued: () => undefined,
};

/** Counts nothing: the default of `createLoyaltyActivities`. */
export const NO_LOYALTY_METRICS: LoyaltyMetrics = {
  purchaseCounted: () => undefined,
  couponIssued: () => undefined,
  emailQueued: () => undefined,
};

/** The names of the app's counters, as a scraper sees them. */
export const BUSINESS_METRIC_NAMES = {
  charges: 'invincible_charges_total',
  dunningRetries: 'invincible_dunning_retries_total',
  emailsQueued: 'invincible_emails_queued_total',
  purchasesCounted: 'invincible_purchases_counted_total',
  pointsAwarded: 'invincible_points_awarded_total',
  couponsIssued: 'invincible_coupons_issued_total',
} as const;

const CHARGE_OUTCOMES: readonly ChargeOutcome[] = ['succeeded', 'declined', 'failed'];
const PURCHASE_SOURCES: readonly PurchaseSource[] = ['purchase', 'charge'];

const emailsQueued = (meter: MetricMeter) =>
  meter.createCounter(
    BUSINESS_METRIC_NAMES.emailsQueued,
    undefined,
    'Emails written to the outbox, by template.',
  );

/**
 * {@link BillingMetrics} on a Temporal `MetricMeter` — in the workers, the Runtime's
 * (`Runtime.instance().metricMeter`), so they are served with the SDK's metrics on the worker's
 * Prometheus endpoint: `invincible_charges_total{outcome}`,
 * `invincible_dunning_retries_total{outcome}`, `invincible_emails_queued_total{template}`.
 *
 * @example
 * ```ts
 * createBillingActivities({ ...deps, metrics: createBillingMetrics(Runtime.instance().metricMeter) });
 * ```
 */
export function createBillingMetrics(meter: MetricMeter): BillingMetrics {
  const charges = meter.createCounter(
    BUSINESS_METRIC_NAMES.charges,
    undefined,
    'Charge attempts recorded in the ledger, by outcome.',
  );
  const retries = meter.createCounter(
    BUSINESS_METRIC_NAMES.dunningRetries,
    undefined,
    'Charge attempts after a decline or failure (dunning), by outcome.',
  );
  const emails = emailsQueued(meter);
  // Every outcome's series from the start: a rate over a series that appears later misses its first count.
  for (const outcome of CHARGE_OUTCOMES) {
    charges.add(0, { outcome });
    retries.add(0, { outcome });
  }
  return {
    chargeRecorded: ({ outcome, attempt }) => {
      charges.add(1, { outcome });
      if (attempt > 1) retries.add(1, { outcome });
    },
    emailQueued: (template) => emails.add(1, { template }),
  };
}

/**
 * {@link LoyaltyMetrics} on a Temporal `MetricMeter`: `invincible_purchases_counted_total{source}`,
 * `invincible_points_awarded_total{source}`, `invincible_coupons_issued_total`,
 * `invincible_emails_queued_total{template}`.
 */
export function createLoyaltyMetrics(meter: MetricMeter): LoyaltyMetrics {
  const purchases = meter.createCounter(
    BUSINESS_METRIC_NAMES.purchasesCounted,
    undefined,
    'Purchases and charge awards counted in the points ledger, by source.',
  );
  const points = meter.createCounter(
    BUSINESS_METRIC_NAMES.pointsAwarded,
    undefined,
    'Points awarded by the purchases counted, by source.',
  );
  const coupons = meter.createCounter(
    BUSINESS_METRIC_NAMES.couponsIssued,
    undefined,
    'Coupons issued.',
  );
  const emails = emailsQueued(meter);
  for (const source of PURCHASE_SOURCES) {
    purchases.add(0, { source });
    points.add(0, { source });
  }
  coupons.add(0);
  return {
    purchaseCounted: ({ source, points: awarded }) => {
      purchases.add(1, { source });
      points.add(awarded, { source });
    },
    couponIssued: () => coupons.add(1),
    emailQueued: (template) => emails.add(1, { template }),
  };
}
