/**
 * The billing service's contract: everything the API, the billing worker and other services
 * must agree on. Imported by all of them; no other file spells these names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RejectedMessages } from '../messages/message-guard';
import { isTimeZone, type IntervalUnit } from './calendar';

/** The task queue polled by apps/billing-worker. */
export const BILLING_TASK_QUEUE = 'billing';

/**
 * Workflow id of the subscription workflow for `subscriptionId`: one execution per subscription,
 * derived from the business key so that a retried start can never create a second one.
 */
export function subscriptionWorkflowId(subscriptionId: string): string {
  return `subscription:${subscriptionId}`;
}

/**
 * Period n's idempotency key at the payment provider: `<subscriptionId>:<n>` for the first
 * attempt, `<subscriptionId>:<n>:<attempt>` for dunning retries (a provider answers a reused key
 * with its first result, so a retry after a decline needs a key of its own).
 */
export function chargeIdempotencyKey(
  subscriptionId: string,
  period: number,
  attempt: number,
): string {
  return attempt === 1 ? `${subscriptionId}:${period}` : `${subscriptionId}:${period}:${attempt}`;
}

/** The workflow type (a function name: renaming it breaks running executions). */
export const SUBSCRIPTION_WORKFLOW_TYPE = 'subscription';

// Money is shared by every domain: one definition, in @invincible/money (not re-exported here,
// so that no domain's contract becomes the place others import it from).
import type { Money } from '@invincible/money';

export interface SubscriptionInput {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly customerEmail: string;
  /** A payment method of the gateway (the sandbox's test methods: see libs/activities). */
  readonly paymentMethod: string;
  readonly price: Money;
  readonly interval: { readonly unit: IntervalUnit; readonly count: number };
  /** ISO instant the subscription starts; with a trial, the first charge is `trialDays` later. */
  readonly startAt: string;
  /** IANA time zone of the calendar math (month ends, DST). */
  readonly timeZone: string;
  readonly trialDays?: number;
  /** Stop after this many billed periods (status `completed`). */
  readonly maxPeriods?: number;
  /** Days after a decline to retry (default 1, 3, 5, 7 → cumulative +1, +3, +5, +7 days). */
  readonly dunningDays?: readonly number[];
  /** Continue-as-new after this many periods in one run (default 12), or when suggested. */
  readonly periodsPerRun?: number;
  /** Carried across continue-as-new; absent on the first run. */
  readonly state?: SubscriptionState;
  /**
   * Carried across continue-as-new with `state`: effects a message handler produced that the
   * previous run had not performed yet (emails to enqueue, a projection to save). Nothing a
   * handler changed is lost when the run ends.
   */
  readonly carried?: CarriedEffects;
}

/** Effects decided but not yet performed, handed from one run to the next. */
export interface CarriedEffects {
  readonly emails: readonly BillingEmail[];
  /** The projection in the repository is older than `state`. */
  readonly projectionStale: boolean;
}

/**
 * The values that decide which commands a run emits, pinned into the state when the
 * subscription starts: a deploy that changes a default cannot change a running subscription.
 */
export interface BillingPolicy {
  /** Days after each declined attempt to retry (cumulative: 1, 3, 5, 7 → +1, +3, +5, +7 days). */
  readonly dunningDays: readonly number[];
  /** Continue-as-new after this many billed periods in one run (or when the server suggests). */
  readonly periodsPerRun: number;
}

/** The defaults pinned into a new subscription's {@link BillingPolicy} when its input has none. */
export const DEFAULT_BILLING_POLICY: BillingPolicy = {
  dunningDays: [1, 3, 5, 7],
  periodsPerRun: 12,
};

/** Periods `[from, to)` that are never billed: their charge instants fell inside a pause. */
export interface SkippedPeriods {
  readonly from: number;
  readonly to: number;
}

export type SubscriptionStatus =
  'trialing' | 'active' | 'past_due' | 'paused' | 'canceled' | 'completed';
export type CancelMode = 'now' | 'at_period_end';

export interface LastCharge {
  readonly period: number;
  readonly attempt: number;
  readonly outcome: 'succeeded' | 'declined' | 'failed';
  readonly amount: Money;
  readonly at: string;
  readonly providerRef: string | null;
}

/** Everything the workflow knows; the query answers it, continue-as-new carries it whole. */
export interface SubscriptionState {
  readonly status: SubscriptionStatus;
  readonly price: Money;
  /** A price change waiting for its first period. */
  readonly pendingPrice: { readonly price: Money; readonly fromPeriod: number } | null;
  /** The billing anchor: period 1's charge instant; every later date derives from it. */
  readonly anchorAt: string;
  readonly trialEndsAt: string | null;
  readonly periodsBilled: number;
  /** The next period to charge, and when (absolute instants: nothing drifts across runs). */
  readonly nextPeriod: number;
  readonly nextChargeAt: string | null;
  /** In dunning: the attempt of `nextPeriod − 1`… see `dunning`. */
  readonly dunning: {
    readonly period: number;
    readonly attempt: number;
    readonly retryAt: string;
    /** The amount of the period's first attempt: every retry charges the same. */
    readonly amount?: Money;
  } | null;
  readonly lastCharge: LastCharge | null;
  readonly pausedAt: string | null;
  readonly cancel: {
    readonly requestedAt: string;
    readonly mode: CancelMode;
    readonly effectiveAt: string;
    readonly reason: string;
  } | null;
  /** Bumped on every change; the projection in the repository is versioned by it. */
  readonly version: number;
  /** Pinned at start (absent in states carried from runs that predate pinning). */
  readonly policy?: BillingPolicy;
  /** Pauses not yet passed by `nextPeriod`: the periods they skip. */
  readonly skips?: readonly SkippedPeriods[];
  /** Messages refused by the message guard (counted, never a task failure). */
  readonly rejected?: RejectedMessages;
}

export interface CancelRequest {
  readonly mode: CancelMode;
  /** Free text for the records, e.g. `customer_request`. */
  readonly reason?: string;
}

export interface CancelResult {
  /** The instant from which nothing is charged. */
  readonly effectiveAt: string;
}

export interface ChangePriceRequest {
  readonly price: Money;
}

export interface ChangePriceResult {
  /** The first period billed at the new price. */
  readonly fromPeriod: number;
}

export interface ResumeResult {
  readonly nextChargeAt: string | null;
  /** The state right after the resume (absent from workers that predate it). */
  readonly state?: SubscriptionState;
}

/**
 * The failure type of an Update the subscription refuses because of its state (already canceled,
 * not paused, being canceled); any other refusal is about the request itself.
 */
export const SUBSCRIPTION_STATE_CONFLICT = 'SubscriptionStateConflict';

/** Cancel now — the original design's signal; it cannot be rejected, so it never fails. */
export const cancelSignal = defineSignal<[]>('cancel');
/** Cancel with a mode; rejected (with a reason) when there is nothing to cancel. */
export const cancelUpdate = defineUpdate<CancelResult, [CancelRequest]>('cancelSubscription');
export const changePriceUpdate = defineUpdate<ChangePriceResult, [ChangePriceRequest]>(
  'changePrice',
);
export const pauseUpdate = defineUpdate<SubscriptionState, []>('pause');
export const resumeUpdate = defineUpdate<ResumeResult, []>('resume');
export const statusQuery = defineQuery<SubscriptionState>('status');

/** What the subscription was started with, and its state: everything a client may show. */
export interface SubscriptionDetails {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly interval: SubscriptionInput['interval'];
  readonly timeZone: string;
  readonly maxPeriods: number | null;
  readonly state: SubscriptionState;
}
export const detailsQuery = defineQuery<SubscriptionDetails>('details');

/** How the subscription ended. */
export interface SubscriptionResult {
  readonly status: 'canceled' | 'completed';
  readonly periodsBilled: number;
  readonly reason: string;
}

/**
 * What the provider knows of an idempotency key: the first result stored for it, or `not_found`
 * — after which the key is void (a late request under it can no longer charge).
 */
export type PaymentLookup = ChargeOutcome | { readonly status: 'not_found' };

/** The failure type of a subscription started without valid input (non-retryable). */
export const INVALID_SUBSCRIPTION_INPUT = 'InvalidSubscriptionInput';

const INTERVAL_UNITS: readonly IntervalUnit[] = [
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
];

/**
 * Everything wrong with a subscription's input (empty when it is valid), checked by the workflow
 * before anything else: a subscription that cannot be billed fails at once, with every reason.
 */
export function subscriptionInputProblems(input: unknown, workflowId?: string): string[] {
  if (typeof input !== 'object' || input === null) return ['input must be an object'];
  const i = input as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string) => {
    const v = i[key];
    if (typeof v !== 'string' || v.length === 0 || v.length > 200)
      problems.push(`${key} must be a non-empty string of at most 200 characters`);
  };
  ['subscriptionId', 'customerId', 'customerEmail', 'paymentMethod'].forEach(text);
  const wholeAtLeast = (key: string, min: number, v: unknown = i[key]) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= min))
      problems.push(`${key} must be a whole number ≥ ${min}`);
  };
  const price = i['price'] as Record<string, unknown> | null | undefined;
  if (typeof price !== 'object' || price === null) problems.push('price must be an object');
  else {
    if (!(Number.isSafeInteger(price['amountMinor']) && (price['amountMinor'] as number) > 0))
      problems.push('price.amountMinor must be a positive whole number of minor units');
    if (typeof price['currency'] !== 'string' || !/^[A-Z]{3}$/.test(price['currency']))
      problems.push('price.currency must be an ISO 4217 code');
  }
  const interval = i['interval'] as Record<string, unknown> | null | undefined;
  if (typeof interval !== 'object' || interval === null)
    problems.push('interval must be an object');
  else {
    if (!INTERVAL_UNITS.includes(interval['unit'] as IntervalUnit))
      problems.push(`interval.unit must be one of ${INTERVAL_UNITS.join(', ')}`);
    if (interval['count'] === undefined) problems.push('interval.count is required');
    wholeAtLeast('interval.count', 1, interval['count']);
  }
  if (typeof i['startAt'] !== 'string' || Number.isNaN(new Date(i['startAt']).getTime()))
    problems.push('startAt must be an ISO instant');
  if (typeof i['timeZone'] !== 'string' || !isTimeZone(i['timeZone']))
    problems.push('timeZone must be an IANA time zone');
  wholeAtLeast('trialDays', 0);
  wholeAtLeast('maxPeriods', 1);
  wholeAtLeast('periodsPerRun', 1);
  const dunning = i['dunningDays'];
  if (
    dunning !== undefined &&
    !(
      Array.isArray(dunning) &&
      dunning.length <= 20 &&
      dunning.every((d) => typeof d === 'number' && Number.isFinite(d) && d > 0)
    )
  )
    problems.push('dunningDays must be at most 20 positive numbers of days');
  if (
    workflowId !== undefined &&
    typeof i['subscriptionId'] === 'string' &&
    workflowId !== subscriptionWorkflowId(i['subscriptionId'])
  )
    problems.push(
      `the workflow id must be ${subscriptionWorkflowId(i['subscriptionId'])}, not ${workflowId}`,
    );
  return problems;
}

export type ChargeOutcome =
  | { readonly status: 'succeeded'; readonly providerRef: string }
  | {
      readonly status: 'declined';
      readonly providerRef: string | null;
      readonly declineCode: string;
    };

export type BillingEmailTemplate =
  | 'receipt'
  | 'trial_canceled'
  | 'canceled'
  | 'payment_failed'
  | 'canceled_unpaid'
  | 'subscription_ended';

export interface BillingEmail {
  /** Deterministic: `<subscriptionId>:<template>:<discriminator>`, so a retry sends it once. */
  readonly id: string;
  readonly customerId: string;
  readonly to: string;
  readonly template: BillingEmailTemplate;
  readonly data: Readonly<Record<string, string | number>>;
}

/**
 * The activities the subscription workflow calls, implemented by `createBillingActivities` in
 * libs/activities. Declared here, with the workflow, so that the workflow imports no activity
 * code and the activities implement exactly this contract.
 */
export interface BillingActivities {
  /**
   * Charges through the payment gateway, idempotent by `idempotencyKey`. A decline is a
   * result, not an error; an outage throws and is retried by Temporal.
   */
  chargePayment(request: {
    readonly idempotencyKey: string;
    readonly customerId: string;
    readonly paymentMethod: string;
    readonly amount: Money;
  }): Promise<ChargeOutcome>;
  /** Appends the attempt to the ledger (idempotent by subscription, period, attempt). */
  recordCharge(entry: {
    readonly subscriptionId: string;
    readonly customerId: string;
    readonly period: number;
    readonly attempt: number;
    readonly amount: Money;
    readonly outcome: 'succeeded' | 'declined' | 'failed';
    readonly providerRef: string | null;
    readonly failureCode: string | null;
    readonly occurredAt: string;
  }): Promise<void>;
  /** Upserts the subscription projection, versioned by `state.version`. */
  saveSubscription(projection: {
    readonly subscriptionId: string;
    readonly customerId: string;
    readonly interval: SubscriptionInput['interval'];
    readonly timeZone: string;
    readonly state: SubscriptionState;
  }): Promise<void>;
  /** Writes the email to the outbox, once per id; delivery happens apart (see the mailer). */
  sendEmail(email: BillingEmail): Promise<void>;
  /**
   * What the provider knows of a charge's idempotency key, after its attempt ended without an
   * answer (the retry window ran out on timeouts: it may have charged). A `not_found` answer
   * voids the key at the provider, so the next attempt's new key cannot charge twice.
   */
  lookupPayment(request: {
    readonly idempotencyKey: string;
    readonly customerId: string;
    readonly paymentMethod: string;
    readonly amount: Money;
  }): Promise<PaymentLookup>;
  /**
   * Performs what the subscription decided since the last call, in one activity: enqueues each
   * email in the outbox (idempotent by id), then saves the projection (versioned). Either part
   * may be empty.
   */
  publish(changes: {
    readonly emails: readonly BillingEmail[];
    readonly projection: {
      readonly subscriptionId: string;
      readonly customerId: string;
      readonly interval: SubscriptionInput['interval'];
      readonly timeZone: string;
      readonly state: SubscriptionState;
    } | null;
  }): Promise<void>;
  /**
   * Records a successful charge as a purchase in the customer's loyalty program (lazily
   * started), with the charge's idempotency key as purchaseId: a retry never awards twice.
   */
  earnLoyaltyPoints(request: {
    readonly customerId: string;
    readonly customerEmail: string;
    readonly purchaseId: string;
    readonly amount: Money;
    readonly occurredAt: string;
  }): Promise<void>;
}
