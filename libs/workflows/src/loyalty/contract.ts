/**
 * The loyalty service's contract: everything the API, the billing side and the loyalty worker
 * must agree on. Imported by all of them; no other file spells these names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Money } from '@invincible/money';

/** The task queue polled by apps/loyalty-worker. */
export const LOYALTY_TASK_QUEUE = 'loyalty';

/**
 * Workflow id of the loyalty program of `customerId`: one never-ending execution per customer,
 * derived from the business key so that lazy starts from several callers converge on one.
 */
export function loyaltyWorkflowId(customerId: string): string {
  return `loyalty:${customerId}`;
}

/** The workflow type (a function name: renaming it breaks running executions). */
export const LOYALTY_WORKFLOW_TYPE = 'loyaltyProgram';

/** A purchase or coupon key: letters, digits, "_", ".", ":" or "-" (never a query operator). */
export const LOYALTY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/**
 * The minor-unit exponent of an ISO 4217 currency (USD 2, JPY 0, BHD 3), or undefined if unknown:
 * from the static table in @invincible/money, never from the runtime's ICU data, so every worker
 * and every replay computes the same points.
 */
export { currencyExponent as exponentOf } from '@invincible/money';
import { currencyExponent as exponentOf } from '@invincible/money';

/** Why `p` is not a purchase, or null when it is one. */
export function purchaseProblem(p: unknown): string | null {
  if (typeof p !== 'object' || p === null) return 'a purchase is an object';
  const { purchaseId, total, currency, occurredAt } = p as Record<string, unknown>;
  if (typeof purchaseId !== 'string' || !LOYALTY_KEY_PATTERN.test(purchaseId))
    return 'purchaseId: up to 200 letters, digits, "_", ".", ":" or "-"';
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total <= 0)
    return 'total must be a positive whole number of minor units';
  if (typeof currency !== 'string' || exponentOf(currency) === undefined)
    return `currency ${String(currency)} is not an ISO 4217 code`;
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt)))
    return 'occurredAt must be an ISO date-time';
  return null;
}

/** A purchase, as the `notify-purchase` signal and the `recordPurchase` Update carry it. */
export interface Purchase {
  /** The dedupe key: a repeated purchaseId is counted once, forever. */
  readonly purchaseId: string;
  /** Integer minor units of `currency`. */
  readonly total: number;
  readonly currency: string;
  readonly occurredAt: string;
}

export interface PurchaseResult {
  readonly purchaseId: string;
  readonly points: number;
  /** False when the purchaseId had been recorded before (the first result is returned). */
  readonly counted: boolean;
  readonly couponsIssued: readonly string[];
  readonly balance: number;
}

export interface CouponView {
  readonly id: string;
  readonly value: Money;
  readonly status: 'issued' | 'redeemed';
  readonly issuedAt: string;
  readonly redeemedAt: string | null;
}

/** What `get-points` answers. */
export interface PointsView {
  readonly customerId: string;
  readonly balance: number;
  readonly lifetimePoints: number;
  readonly couponsIssued: number;
  readonly couponsRedeemed: number;
  readonly coupons: readonly CouponView[];
  readonly recentPurchases: readonly PurchaseResult[];
  readonly rejectedSignals: number;
}

export interface LoyaltyInput {
  readonly customerId: string;
  readonly customerEmail?: string;
  /** Points per currency unit (default 100): 12.50 USD earns 1,250 points. */
  readonly earnRate?: number;
  /** A coupon is issued each time the balance reaches this (default 10,000), which it costs. */
  readonly couponThreshold?: number;
  /** The value of a coupon (default 5.00 USD). */
  readonly couponValue?: Money;
  /** Continue-as-new after this many processed events (default 500), or when suggested. */
  readonly eventsPerRun?: number;
  /** Carried across continue-as-new; absent on the first run. */
  readonly state?: LoyaltyState;
}

export interface LoyaltyState {
  readonly balance: number;
  readonly lifetimePoints: number;
  readonly coupons: readonly CouponView[];
  /** The last results by purchaseId (bounded); older ids are checked in the ledger. */
  readonly recent: readonly PurchaseResult[];
  /** Purchases accepted but not processed yet when the run continued as new. */
  readonly pending: readonly Purchase[];
  readonly rejectedSignals: number;
  readonly version: number;
}

/** Failure types of a refused `redeemCoupon`; any other refusal is about the request itself. */
export const COUPON_NOT_FOUND = 'CouponNotFound';
export const COUPON_ALREADY_REDEEMED = 'CouponAlreadyRedeemed';

/** The original design's signal: records a purchase; bad input is counted as rejected. */
export const notifyPurchaseSignal = defineSignal<[Purchase]>('notify-purchase');
/** Records a purchase and answers with its result; bad input is rejected by the validator. */
export const recordPurchaseUpdate = defineUpdate<PurchaseResult, [Purchase]>('recordPurchase');
/** Redeems one of the customer's coupons; exactly one of concurrent redeems succeeds. */
export const redeemCouponUpdate = defineUpdate<CouponView, [{ readonly couponId: string }]>(
  'redeemCoupon',
);
export const getPointsQuery = defineQuery<PointsView>('get-points');

/** The activities the loyalty workflow calls (implemented by createLoyaltyActivities). */
export interface LoyaltyActivities {
  /**
   * Records the purchase in the processed-purchases ledger unless it is there already (the
   * dedupe check for ids older than the workflow's window): `created: false` means it was
   * counted before, with the points stored then.
   */
  recordProcessedPurchase(entry: {
    readonly purchaseId: string;
    readonly customerId: string;
    readonly total: Money;
    readonly points: number;
    readonly processedAt: string;
  }): Promise<{ readonly created: boolean; readonly points: number }>;
  /**
   * `recordProcessedPurchase` for a batch of one customer's purchases, answered in the order
   * given: how a busy customer's queue is drained with one activity per batch, not per purchase.
   */
  recordProcessedPurchases(batch: {
    readonly customerId: string;
    readonly processedAt: string;
    readonly entries: readonly {
      readonly purchaseId: string;
      readonly total: Money;
      readonly points: number;
    }[];
  }): Promise<readonly { readonly created: boolean; readonly points: number }[]>;
  /** Stores the coupon (idempotent by its id) and emails it to the customer, once. */
  issueCoupon(coupon: {
    readonly id: string;
    readonly customerId: string;
    readonly email: string | null;
    readonly value: Money;
    readonly issuedAt: string;
  }): Promise<void>;
  /** Marks the coupon redeemed in the repository; a second redeem is refused there too. */
  redeemCoupon(request: {
    readonly id: string;
    readonly customerId: string;
    readonly at: string;
  }): Promise<void>;
  /** Upserts the account projection, versioned by `state.version`. */
  saveAccount(account: {
    readonly customerId: string;
    readonly state: LoyaltyState;
  }): Promise<void>;
}
