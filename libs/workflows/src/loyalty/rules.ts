/**
 * The loyalty program's rules as pure functions: used by the workflow to decide, and by the
 * ledger activity to store the first answer of each purchase — the same code on both sides, so
 * what the ledger says and what the workflow answers cannot drift.
 */
import type { Money } from '@invincible/money';
import {
  CUSTOMER_ID_PATTERN,
  LOYALTY_KEY_PATTERN,
  exponentOf,
  loyaltyWorkflowId,
  type LoyaltyInput,
  type LoyaltySettings,
  type Purchase,
  type PurchaseResult,
  type RecentPurchase,
} from './contract';

export const DEFAULT_SETTINGS: LoyaltySettings = {
  earnRate: 100,
  couponThreshold: 10_000,
  couponValue: { amountMinor: 500, currency: 'USD' },
  eventsPerRun: 500,
};

/** The id of the customer's n-th coupon (n from 1). */
export function couponId(customerId: string, n: number): string {
  return `${customerId}:${n}`;
}

/** A purchase's key in the customer's ledger: its source and id. */
export function purchaseKey(purchase: Pick<Purchase, 'purchaseId' | 'source'>): string {
  return `${purchase.source ?? 'purchase'}:${purchase.purchaseId}`;
}

/**
 * The coupon rule: each time the balance reaches the threshold, one coupon is issued and the
 * threshold deducted. Over a whole ledger that is exactly `floor(lifetime / threshold)` coupons
 * and a balance of `lifetime mod threshold` — derived from the ledger's sum alone, so a program
 * that rehydrates from the tables, or restarts a batch, reaches the same coupons and balance.
 */
export function couponsOwed(lifetimePoints: number, threshold: number): number {
  return Math.floor(lifetimePoints / threshold);
}

export function balanceOf(lifetimePoints: number, threshold: number): number {
  return lifetimePoints - couponsOwed(lifetimePoints, threshold) * threshold;
}

/**
 * The answers of a batch counted in order from `lifetimePoints`: for each entry that counts, the
 * balance right after it and the coupons it crossed into; entries that do not count change
 * nothing (their answer is the ledger's first one, not computed here).
 */
export function answerBatch(
  customerId: string,
  lifetimePoints: number,
  threshold: number,
  entries: readonly { readonly points: number; readonly counted: boolean }[],
): {
  readonly lifetimePoints: number;
  readonly answers: readonly { readonly balanceAfter: number; readonly couponsIssued: string[] }[];
} {
  let lifetime = lifetimePoints;
  const answers = entries.map(({ points, counted }) => {
    if (!counted) return { balanceAfter: balanceOf(lifetime, threshold), couponsIssued: [] };
    const before = couponsOwed(lifetime, threshold);
    lifetime += points;
    const after = couponsOwed(lifetime, threshold);
    const couponsIssued: string[] = [];
    for (let n = before + 1; n <= after; n++) couponsIssued.push(couponId(customerId, n));
    return { balanceAfter: balanceOf(lifetime, threshold), couponsIssued };
  });
  return { lifetimePoints: lifetime, answers };
}

const isMoney = (m: unknown): m is Money =>
  typeof m === 'object' &&
  m !== null &&
  Number.isSafeInteger((m as Money).amountMinor) &&
  (m as Money).amountMinor > 0 &&
  typeof (m as Money).currency === 'string' &&
  exponentOf((m as Money).currency) !== undefined;

const positiveInt = (n: unknown, max: number): boolean =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= max;

/**
 * Why `input` cannot start the program running as `workflowId`, or null. A program runs for the
 * customer its id names, and no other: an input for someone else would write into their ledger.
 */
export function loyaltyInputProblem(input: unknown, workflowId: string): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'the input must be an object with a customerId';
  const i = input as Partial<Record<keyof LoyaltyInput, unknown>>;
  if (typeof i.customerId !== 'string' || !CUSTOMER_ID_PATTERN.test(i.customerId))
    return 'customerId must be a customer id';
  if (workflowId !== loyaltyWorkflowId(i.customerId))
    return `workflow ${workflowId} cannot run the program of customer ${i.customerId}`;
  if (
    i.customerEmail !== undefined &&
    (typeof i.customerEmail !== 'string' || i.customerEmail.length > 254)
  )
    return 'customerEmail must be an email address';
  if (i.earnRate !== undefined && !positiveInt(i.earnRate, 1_000_000))
    return 'earnRate must be a whole number from 1 to 1,000,000';
  if (i.couponThreshold !== undefined && !positiveInt(i.couponThreshold, 1_000_000_000))
    return 'couponThreshold must be a whole number from 1 to 1,000,000,000';
  if (i.couponValue !== undefined && !isMoney(i.couponValue))
    return 'couponValue must be positive money in an ISO 4217 currency';
  if (i.eventsPerRun !== undefined && !positiveInt(i.eventsPerRun, 100_000))
    return 'eventsPerRun must be a whole number from 1 to 100,000';
  if (i.retryInitialMs !== undefined && !positiveInt(i.retryInitialMs, 60_000))
    return 'retryInitialMs must be a whole number of milliseconds from 1 to 60,000';
  if (i.state !== undefined && (typeof i.state !== 'object' || i.state === null))
    return 'state must be the state a program carried';
  return null;
}

/** The settings of a program's first run: the input's overrides over the defaults. */
export function resolveSettings(input: LoyaltyInput): LoyaltySettings {
  return {
    earnRate: input.earnRate ?? DEFAULT_SETTINGS.earnRate,
    couponThreshold: input.couponThreshold ?? DEFAULT_SETTINGS.couponThreshold,
    couponValue: input.couponValue ?? DEFAULT_SETTINGS.couponValue,
    eventsPerRun: input.eventsPerRun ?? DEFAULT_SETTINGS.eventsPerRun,
    retryInitialMs: input.retryInitialMs ?? 1_000,
  };
}

/** A purchase key a coupon id must match: `<customerId>:<n>`, n from 1 to `issued`. */
export function couponNumber(customerId: string, id: string): number | null {
  if (!LOYALTY_KEY_PATTERN.test(id) || !id.startsWith(`${customerId}:`)) return null;
  const rest = id.slice(customerId.length + 1);
  return /^[1-9][0-9]{0,9}$/.test(rest) ? Number(rest) : null;
}

/** A result with its request, as a run answers from memory. */
export interface Answer {
  readonly key: string;
  readonly requestId: string | null;
  readonly result: PurchaseResult;
}

/** The carried form of an answer: coupon ids as a range of numbers. */
export function compactAnswer(customerId: string, answer: Answer): RecentPurchase {
  const numbers = answer.result.couponsIssued
    .map((id) => couponNumber(customerId, id))
    .filter((n): n is number => n !== null);
  const first = numbers[0];
  const last = numbers.at(-1);
  return {
    key: answer.key,
    requestId: answer.requestId,
    purchaseId: answer.result.purchaseId,
    points: answer.result.points,
    counted: answer.result.counted,
    balance: answer.result.balance,
    coupons: first !== undefined && last !== undefined ? [first, last] : null,
  };
}

/** The answer of a carried result. */
export function expandAnswer(customerId: string, recent: RecentPurchase): Answer {
  const couponsIssued: string[] = [];
  if (recent.coupons) {
    for (let n = recent.coupons[0]; n <= recent.coupons[1]; n++)
      couponsIssued.push(couponId(customerId, n));
  }
  return {
    key: recent.key,
    requestId: recent.requestId,
    result: {
      purchaseId: recent.purchaseId,
      points: recent.points,
      counted: recent.counted,
      couponsIssued,
      balance: recent.balance,
    },
  };
}
