/**
 * Progress to the next coupon. The API shows a balance (`lifetimePoints mod threshold`), lifetime
 * points and the coupons issued, not the threshold itself: once a coupon exists the threshold is
 * exact from those numbers; before that, it is the default every program the API starts runs by
 * (libs/workflows/src/loyalty/rules.ts: 10,000 points, 100 per currency unit).
 */

export const DEFAULT_COUPON_THRESHOLD = 10_000;

export interface CouponProgress {
  /** Points a coupon costs. */
  readonly threshold: number;
  /** Points still needed for the next coupon. */
  readonly toNext: number;
  /** 0 to 1. */
  readonly fraction: number;
  /** Whether `threshold` was derived from this customer's numbers (else: the default). */
  readonly exact: boolean;
}

export function couponProgress(loyalty: {
  readonly balance: number;
  readonly lifetimePoints: number;
  readonly couponsIssued: number;
}): CouponProgress {
  const { balance, lifetimePoints, couponsIssued } = loyalty;
  const spent = lifetimePoints - balance;
  const derived =
    couponsIssued > 0 && spent > 0 && spent % couponsIssued === 0 ? spent / couponsIssued : null;
  const exact = derived !== null && derived > balance;
  const threshold = exact ? derived : DEFAULT_COUPON_THRESHOLD;
  const within = Math.min(Math.max(balance, 0), threshold);
  return { threshold, toNext: threshold - within, fraction: within / threshold, exact };
}
