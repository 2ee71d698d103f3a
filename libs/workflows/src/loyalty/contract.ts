/**
 * The loyalty service's contract: everything the API, the billing side and the loyalty worker
 * must agree on. Imported by all of them; no other file spells these names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Money } from '@invincible/money';
import type { RejectedMessages } from '../messages/message-guard';

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

/**
 * A purchase or coupon key: letters, digits, "_", ".", ":", "-", and "~" (the tenant separator of
 * stored ids: a coupon id or a charge's key carries its tenant), never a query operator.
 */
export const LOYALTY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:~-]{0,239}$/;

/** A customer id as stored: optionally in a tenant (`<tenantId>~<id>`). */
export const CUSTOMER_ID_PATTERN = /^(?:[a-z0-9][a-z0-9-]{1,31}~)?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The minor-unit exponent of an ISO 4217 currency (USD 2, JPY 0, BHD 3), or undefined if unknown:
 * from the static table in @invincible/money, never from the runtime's ICU data, so every worker
 * and every replay computes the same points.
 */
export { currencyExponent as exponentOf } from '@invincible/money';
import { currencyExponent as exponentOf } from '@invincible/money';

/**
 * Where a purchase came from: a caller's purchase (`purchase`, the default) or a subscription
 * charge's award (`charge`, sent by the billing worker). Each source is its own id space in the
 * customer's ledger, so a caller can never pre-claim a charge's award with its id.
 */
export type PurchaseSource = 'purchase' | 'charge';

/** A purchase, as the `notify-purchase` signal and the `recordPurchase` Update carry it. */
export interface Purchase {
  /** The dedupe key within the customer's ledger (and `source`): counted once, forever. */
  readonly purchaseId: string;
  /** Integer minor units of `currency`. */
  readonly total: number;
  readonly currency: string;
  readonly occurredAt: string;
  /** Absent means `purchase`. */
  readonly source?: PurchaseSource;
}

/**
 * The most coupons one purchase may earn. A purchase whose points would cross more thresholds
 * than this is refused (Update) or rejected as malformed (signal): no input can make the workflow
 * build an unbounded number of coupons in one task, whatever the API accepts.
 */
export const MAX_COUPONS_PER_PURCHASE = 100;

/** Why `p` is not a purchase the program can count with `settings`, or null when it is one. */
export function purchaseProblem(p: unknown, settings?: LoyaltySettings): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'a purchase is an object';
  const { purchaseId, total, currency, occurredAt, source } = p as Record<string, unknown>;
  if (typeof purchaseId !== 'string' || !LOYALTY_KEY_PATTERN.test(purchaseId))
    return 'purchaseId: up to 200 letters, digits, "_", ".", ":" or "-"';
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total <= 0)
    return 'total must be a positive whole number of minor units';
  if (typeof currency !== 'string' || exponentOf(currency) === undefined)
    return `currency ${String(currency).slice(0, 20)} is not an ISO 4217 code`;
  if (
    typeof occurredAt !== 'string' ||
    occurredAt.length > 40 ||
    Number.isNaN(Date.parse(occurredAt))
  )
    return 'occurredAt must be an ISO date-time';
  if (source !== undefined && source !== 'purchase' && source !== 'charge')
    return 'source must be "purchase" or "charge"';
  if (settings) {
    const max = MAX_COUPONS_PER_PURCHASE * settings.couponThreshold;
    if (pointsFor({ total, currency }, settings.earnRate) > max)
      return `a purchase may earn at most ${max} points (${MAX_COUPONS_PER_PURCHASE} coupons)`;
  }
  return null;
}

/**
 * Points earned by `purchase`: `earnRate` per major unit of its currency, rounded down, on
 * integers (no float can lose a point: 9,007,199,254,740,991 minor units are exact here too).
 */
export function pointsFor(
  purchase: { readonly total: number; readonly currency: string },
  earnRate: number,
): number {
  let divisor = BigInt(1);
  for (let i = exponentOf(purchase.currency) ?? 2; i > 0; i--) divisor *= BigInt(10);
  return Number((BigInt(purchase.total) * BigInt(earnRate)) / divisor);
}

export interface PurchaseResult {
  readonly purchaseId: string;
  readonly points: number;
  /**
   * True for the request that counted it (and for that request's retries, whenever they come);
   * false when it had been counted before by another request or a signal (the first result is
   * returned, with nothing added).
   */
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
  readonly recentPurchases: readonly PurchaseResult[];
  /** Every rejected message (the sum of `rejected`). */
  readonly rejectedSignals: number;
  readonly rejected: RejectedMessages;
}

/**
 * The rules a program runs by. Resolved once, when the program first starts, and carried in its
 * state from then on: a deploy that changes a default cannot change what a running program does.
 */
export interface LoyaltySettings {
  /** Points per currency unit (default 100): 12.50 USD earns 1,250 points. */
  readonly earnRate: number;
  /** A coupon is issued each time the balance reaches this (default 10,000), which it costs. */
  readonly couponThreshold: number;
  /** The value of a coupon (default 5.00 USD). */
  readonly couponValue: Money;
  /** Continue-as-new after this many processed events (default 500), or when suggested. */
  readonly eventsPerRun: number;
  /** First retry delay of a failed activity (default 1,000 ms; tests shorten it). */
  readonly retryInitialMs?: number;
}

export interface LoyaltyInput {
  readonly customerId: string;
  readonly customerEmail?: string;
  /** Overrides of the default settings, for a program's first run. */
  readonly earnRate?: number;
  readonly couponThreshold?: number;
  readonly couponValue?: Money;
  readonly eventsPerRun?: number;
  readonly retryInitialMs?: number;
  /** Carried across continue-as-new; absent on the first run (which rehydrates from the tables). */
  readonly state?: LoyaltyState;
}

/** A purchase waiting in the queue, with the request that asked for it (null: a signal). */
export interface QueuedPurchase {
  readonly purchase: Purchase;
  readonly requestId: string | null;
}

/**
 * A recent result as a run carries it, kept for instant answers (older ones are answered from the
 * ledger): its coupons as a range of numbers, not ids — one purchase may cross 100 thresholds.
 */
export interface RecentPurchase {
  /** `<source>:<purchaseId>`. */
  readonly key: string;
  /** The request that counted it (null: a signal, or counted before). */
  readonly requestId: string | null;
  readonly purchaseId: string;
  readonly points: number;
  readonly counted: boolean;
  readonly balance: number;
  /** Coupon numbers `first`…`last` it crossed into, or null. */
  readonly coupons: readonly [number, number] | null;
}

/**
 * What a program carries across continue-as-new: numbers and bounded lists only (≤ 16 KB even
 * for a customer with 10,000 coupons: the coupons table is the record of coupons).
 */
export interface LoyaltyState {
  readonly settings: LoyaltySettings;
  /** Σ points of the customer's ledger rows. */
  readonly lifetimePoints: number;
  /** Coupons stored and emailed: `<customerId>:1` … `<customerId>:<couponsIssued>`. */
  readonly couponsIssued: number;
  readonly couponsRedeemed: number;
  /** The last results (at most 20). */
  readonly recent: readonly RecentPurchase[];
  /** Purchases accepted by signal but not counted yet when the run continued as new. */
  readonly pending: readonly QueuedPurchase[];
  readonly rejected: RejectedMessages;
  /** Bumped on every change; the account projection is versioned by it. */
  readonly version: number;
  /** Ledger batches written so far: with the run id, the writer token of the next batch. */
  readonly batches: number;
}

/** Failure types of a refused `redeemCoupon`; any other refusal is about the request itself. */
export const COUPON_NOT_FOUND = 'CouponNotFound';
export const COUPON_ALREADY_REDEEMED = 'CouponAlreadyRedeemed';
/** The failure type of a program run started with an input it cannot run on (a run of its own). */
export const INVALID_LOYALTY_INPUT = 'InvalidLoyaltyInput';

/** The original design's signal: records a purchase; bad or undecodable input is counted as rejected. */
export const notifyPurchaseSignal = defineSignal<[Purchase]>('notify-purchase');
/** Records a purchase and answers with its result; bad input is rejected by the validator. */
export const recordPurchaseUpdate = defineUpdate<PurchaseResult, [Purchase]>('recordPurchase');
/** Redeems one of the customer's coupons; exactly one of concurrent redeems succeeds. */
export const redeemCouponUpdate = defineUpdate<CouponView, [{ readonly couponId: string }]>(
  'redeemCoupon',
);
export const getPointsQuery = defineQuery<PointsView>('get-points');

/** One purchase of a batch, as the ledger activity takes it. */
export interface LedgerEntryRequest {
  readonly source: PurchaseSource;
  readonly purchaseId: string;
  readonly total: Money;
  readonly points: number;
  readonly requestId: string | null;
}

/**
 * What the ledger says of one entry: counted by this batch (now, or by an earlier attempt of it
 * whose answer was lost) — the workflow knows the rest — or counted before by someone else, with
 * the first answer stored then. (Kept small: it is in the history once per purchase.)
 */
export type LedgerEntryResult =
  | { readonly counted: true }
  | {
      readonly counted: false;
      /** The points stored for it by the first count. */
      readonly points: number;
      /** The request that counted it (null: a signal). */
      readonly requestId: string | null;
      /** The first answer: balance right after it, and the coupons it crossed into. */
      readonly balanceAfter: number;
      readonly couponsIssued: readonly string[];
    };

/** The account as the tables tell it: what a program without carried state starts from. */
export interface StoredAccount {
  /** Σ points of the ledger. */
  readonly lifetimePoints: number;
  /** Rows of the coupons table. */
  readonly couponsIssued: number;
  /** From the account projection (display only: redemptions are decided by the coupons table). */
  readonly couponsRedeemed: number;
  /** The account projection's version (0 when none): a new run saves above it. */
  readonly version: number;
  /** A projection is stored and disagrees with the ledger or the coupons table. */
  readonly projectionStale?: boolean;
}

/** The activities the loyalty workflow calls (implemented by createLoyaltyActivities). */
export interface LoyaltyActivities {
  /**
   * Counts a batch of one customer's purchases in the ledger, in order. Each entry is counted
   * unless its (source, purchaseId) row exists and was written by someone else; a row this very
   * batch wrote (`countedBy`: an earlier attempt whose answer was lost) is recognised as its own.
   * The first answer of each row is stored with it.
   */
  countPurchases(batch: {
    readonly customerId: string;
    readonly countedBy: string;
    readonly processedAt: string;
    readonly couponThreshold: number;
    /** Lifetime points before the batch: where the first answers are computed from. */
    readonly lifetimePoints: number;
    readonly entries: readonly LedgerEntryRequest[];
  }): Promise<readonly LedgerEntryResult[]>;
  /** Stores coupons `<customerId>:<from>` … `:<to>` and emails each once (idempotent by id). */
  issueCoupons(request: {
    readonly customerId: string;
    readonly email: string | null;
    readonly from: number;
    readonly to: number;
    readonly value: Money;
    readonly issuedAt: string;
  }): Promise<void>;
  /** The account as the tables tell it (rehydrates a program that starts without state). */
  loadAccount(request: { readonly customerId: string }): Promise<StoredAccount>;
  /**
   * Marks the coupon redeemed by `requestId` (the Update id): a retry of the same request, even
   * after its answer was lost, gets the redeemed coupon; another request a `ConflictError`.
   */
  redeemCoupon(request: {
    readonly id: string;
    readonly customerId: string;
    readonly at: string;
    readonly requestId?: string;
  }): Promise<CouponView | undefined>;
  /** Upserts the account projection, versioned by `version`. */
  saveAccount(account: {
    readonly customerId: string;
    readonly balance: number;
    readonly lifetimePoints: number;
    readonly couponsIssued: number;
    readonly couponsRedeemed: number;
    readonly version: number;
  }): Promise<void>;
  /** Before the ledger (v1 histories): one purchase; `created` decides whether it counts. */
  recordProcessedPurchase(entry: {
    readonly purchaseId: string;
    readonly customerId: string;
    readonly total: Money;
    readonly points: number;
    readonly processedAt: string;
  }): Promise<{ readonly created: boolean; readonly points: number }>;
  /** Before the ledger (batched histories): `recordProcessedPurchase` for a batch. */
  recordProcessedPurchases(batch: {
    readonly customerId: string;
    readonly processedAt: string;
    readonly entries: readonly {
      readonly purchaseId: string;
      readonly total: Money;
      readonly points: number;
    }[];
  }): Promise<readonly { readonly created: boolean; readonly points: number }[]>;
  /** Before the ledger: one coupon per activity. */
  issueCoupon(coupon: {
    readonly id: string;
    readonly customerId: string;
    readonly email: string | null;
    readonly value: Money;
    readonly issuedAt: string;
  }): Promise<void>;
}
