/**
 * The billing rules as pure functions of (state, event, instant) → (state, emails): what the
 * subscription workflow's message handlers and loop apply, unit-tested without a server.
 *
 * The rules, in terms of period n's charge instant `chargeAt(n)`:
 * - **Owed**: period n is owed when its instant precedes the cancel's effective instant, precedes
 *   the instant of a pause in force, and is not skipped by an earlier pause. Every owed period
 *   gets exactly one successful charge, or a recorded decline (dunning outcome); nothing else is
 *   charged. A lagging worker charges owed periods late, never drops them.
 * - **Cancel now** at c: effective at c (periods before c stay owed); any dunning stops.
 * - **Cancel at period end** at t: effective at the first charge instant after t — the end of the
 *   period paid or being paid, never a past instant.
 * - **Price change**: applies from the first period neither charged nor in flight (`fromPeriod`).
 * - **Pause** at P, **resume** at R: periods with instants in [P, R] are skipped; periods due
 *   before P stay owed; billing resumes at the first charge instant after R.
 * - **Dunning**: a decline (or an unknown outcome the provider does not know) is retried after
 *   `policy.dunningDays`; later periods wait; a retry that would fall at or after a cancel's
 *   effective instant does not happen; exhaustion cancels the subscription (reason `unpaid`)
 *   effective at the unpaid period's instant.
 */
import { formatMoney, type Money } from '@invincible/money';
import { chargeAt, firstPeriodAfter, firstPeriodAtOrAfter, type BillingSchedule } from './calendar';
import {
  DEFAULT_BILLING_POLICY,
  type BillingEmail,
  type BillingEmailTemplate,
  type BillingPolicy,
  type CancelMode,
  type SubscriptionInput,
  type SubscriptionState,
} from './contract';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => new Date(instant).getTime();

/** A charge attempt: decided by {@link BillingModel.nextStep}, in flight while the gateway answers. */
export interface ChargeAttempt {
  readonly period: number;
  readonly attempt: number;
  readonly amount: Money;
}

/** What the loop does next. */
export type NextStep =
  | ({ readonly kind: 'charge'; readonly at: number } & ChargeAttempt)
  /** A cancel at period end reaches its effective instant. */
  | { readonly kind: 'cancel-takes-effect'; readonly at: number }
  /** Nothing is due until a message arrives (paused). */
  | { readonly kind: 'await-message' }
  | { readonly kind: 'done' };

export interface ChargeResult {
  readonly outcome: 'succeeded' | 'declined' | 'failed';
  readonly providerRef: string | null;
  readonly failureCode: string | null;
}

/** A state change and the emails it calls for. */
export interface Transition {
  readonly state: SubscriptionState;
  readonly emails: readonly BillingEmail[];
}

export interface BillingModelContext {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly schedule: BillingSchedule;
  readonly maxPeriods: number | null;
}

/** The state a new subscription starts in, with the policy pinned. */
export function initialState(input: SubscriptionInput): SubscriptionState {
  const start = ms(input.startAt);
  const trialDays = input.trialDays ?? 0;
  const anchor = trialDays > 0 ? start + trialDays * DAY_MS : start;
  return {
    status: trialDays > 0 ? 'trialing' : 'active',
    price: input.price,
    pendingPrice: null,
    anchorAt: iso(anchor),
    trialEndsAt: trialDays > 0 ? iso(anchor) : null,
    periodsBilled: 0,
    nextPeriod: 1,
    nextChargeAt: iso(anchor),
    dunning: null,
    lastCharge: null,
    pausedAt: null,
    cancel: null,
    version: 0,
    policy: pinPolicy(input),
    skips: [],
  };
}

/** The input's policy, defaults filled in: pinned once, then read from the state only. */
export function pinPolicy(input: SubscriptionInput): BillingPolicy {
  return {
    dunningDays: [...(input.dunningDays ?? DEFAULT_BILLING_POLICY.dunningDays)],
    periodsPerRun: input.periodsPerRun ?? DEFAULT_BILLING_POLICY.periodsPerRun,
  };
}

export type BillingModel = ReturnType<typeof createBillingModel>;

/** The rules for one subscription (its ids, schedule and limits). */
export function createBillingModel(ctx: BillingModelContext) {
  const at = (period: number) => chargeAt(ctx.schedule, period).getTime();

  const email = (
    template: BillingEmailTemplate,
    discriminator: string | number,
    data: Record<string, string | number> = {},
  ): BillingEmail => ({
    id: `${ctx.subscriptionId}:${template}:${discriminator}`,
    customerId: ctx.customerId,
    to: ctx.customerEmail,
    template,
    data: { subscriptionId: ctx.subscriptionId, ...data },
  });

  /** The instant from which nothing is charged (a cancel's), or +∞. */
  const endOf = (s: SubscriptionState) => (s.cancel ? ms(s.cancel.effectiveAt) : Infinity);

  /** `n`, or the first period after the pause gaps that contain it. */
  const billable = (s: SubscriptionState, n: number): number => {
    let period = n;
    for (let moved = true; moved;) {
      moved = false;
      for (const gap of s.skips ?? []) {
        if (gap.from <= period && period < gap.to) {
          period = gap.to;
          moved = true;
        }
      }
    }
    return period;
  };

  const priceFor = (s: SubscriptionState, period: number): Money =>
    s.pendingPrice && period >= s.pendingPrice.fromPeriod ? s.pendingPrice.price : s.price;

  const maxReached = (s: SubscriptionState) =>
    ctx.maxPeriods !== null && s.periodsBilled >= ctx.maxPeriods;

  function nextStep(s: SubscriptionState): NextStep {
    if (s.status === 'completed' || maxReached(s)) return { kind: 'done' };
    const end = endOf(s);
    if (s.dunning) {
      const retryAt = ms(s.dunning.retryAt);
      if (retryAt < end) {
        const { period, attempt } = s.dunning;
        return {
          kind: 'charge',
          at: retryAt,
          period,
          attempt,
          amount: s.dunning.amount ?? priceFor(s, period),
        };
      }
      if (s.status !== 'canceled') return { kind: 'cancel-takes-effect', at: end };
    }
    const period = billable(s, s.nextPeriod);
    const due = at(period);
    const pausedAt = s.pausedAt ? ms(s.pausedAt) : Infinity;
    if (due < Math.min(end, pausedAt))
      return { kind: 'charge', at: due, period, attempt: 1, amount: priceFor(s, period) };
    if (s.status === 'canceled') return { kind: 'done' };
    if (end <= pausedAt && end < Infinity) return { kind: 'cancel-takes-effect', at: end };
    return { kind: 'await-message' };
  }

  /** The next charge instant as the loop will act on it (the projection's `nextChargeAt`). */
  function nextChargeAtOf(s: SubscriptionState): string | null {
    let step = nextStep(s);
    if (step.kind === 'cancel-takes-effect') step = nextStep(takeEffect(s));
    return step.kind === 'charge' ? iso(step.at) : null;
  }

  /** Applies a patch: a new version, and `nextChargeAt` derived from the result. */
  function commit(s: SubscriptionState, patch: Partial<SubscriptionState>): SubscriptionState {
    const next = { ...s, ...patch, version: s.version + 1 };
    return { ...next, nextChargeAt: nextChargeAtOf(next) };
  }

  function takeEffect(s: SubscriptionState): SubscriptionState {
    return { ...s, status: 'canceled', dunning: null };
  }

  return {
    nextStep,
    priceFor,
    commit,

    /** A cancel at period end reached its instant: canceled; a dunning retry after it is dropped. */
    cancelTakesEffect(s: SubscriptionState): Transition {
      return { state: commit(s, { status: 'canceled', dunning: null }), emails: [] };
    },

    /**
     * Whether a cancel in `mode` is refused at `now`, and why: nothing to cancel (ended, or a
     * cancel already in effect), or already set to cancel at period end.
     */
    cancelRefusal(s: SubscriptionState, mode: CancelMode, now: number): string | null {
      if (s.status === 'canceled' || s.status === 'completed' || maxReached(s))
        return `the subscription is already ${s.status}`;
      if (s.cancel && ms(s.cancel.effectiveAt) <= now)
        return `the subscription is already canceled (effective ${s.cancel.effectiveAt})`;
      if (s.cancel && mode === 'at_period_end')
        return `the subscription is already set to cancel at ${s.cancel.effectiveAt}`;
      return null;
    },

    /**
     * Cancels (call only when {@link cancelRefusal} is null). Now: effective at `now` (periods
     * due before it stay owed); during a trial that has not ended, or while paused, at period
     * end means now too. At period end: the first charge instant after `now`.
     */
    cancel(
      s: SubscriptionState,
      request: { mode: CancelMode; reason: string },
      now: number,
      inFlight: ChargeAttempt | null,
    ): Transition & { effectiveAt: string } {
      const inTrial = s.status === 'trialing' && s.trialEndsAt !== null && now < ms(s.trialEndsAt);
      const immediately = request.mode === 'now' || inTrial || s.status === 'paused';
      let effective: number;
      if (immediately) {
        effective = now;
        // A charge in flight for a period starting at this very instant stands: its period ends later.
        if (inFlight && at(inFlight.period) >= now) effective = at(inFlight.period + 1);
        effective = Math.min(effective, endOf(s));
      } else {
        effective = at(firstPeriodAfter(ctx.schedule, now));
      }
      const effectiveAt = iso(effective);
      const state = commit(s, {
        ...(immediately ? { status: 'canceled' as const, dunning: null } : {}),
        cancel: {
          requestedAt: iso(now),
          mode: immediately ? 'now' : 'at_period_end',
          effectiveAt,
          reason: request.reason,
        },
      });
      // One email per cancellation: the id names this change, so a later cancel (at period end,
      // then now) is a second email with its own date.
      return {
        state,
        effectiveAt,
        emails: [
          email(inTrial ? 'trial_canceled' : 'canceled', `cancel-${state.version}`, {
            effectiveAt,
          }),
        ],
      };
    },

    /** The new price applies from the first period neither charged nor in flight. */
    changePrice(
      s: SubscriptionState,
      price: Money,
      inFlight: ChargeAttempt | null,
    ): Transition & { fromPeriod: number } {
      const untouched = Math.max(s.nextPeriod, inFlight ? inFlight.period + 1 : 0);
      const fromPeriod = billable(s, untouched);
      // A pending change whose first period is already charged or in flight is in force now.
      const inForce =
        s.pendingPrice && s.pendingPrice.fromPeriod < fromPeriod ? s.pendingPrice.price : s.price;
      return {
        state: commit(s, { price: inForce, pendingPrice: { price, fromPeriod } }),
        emails: [],
        fromPeriod,
      };
    },

    pause(s: SubscriptionState, now: number): Transition {
      return { state: commit(s, { status: 'paused', pausedAt: iso(now) }), emails: [] };
    },

    /**
     * Periods whose instants fell inside the pause are skipped; those due before it stay owed;
     * billing resumes at the first charge instant after `now` (computed, not iterated).
     */
    resume(s: SubscriptionState, now: number): Transition {
      const pausedAt = s.pausedAt ? ms(s.pausedAt) : now;
      const from = firstPeriodAtOrAfter(ctx.schedule, pausedAt);
      const to = firstPeriodAfter(ctx.schedule, now);
      const skips = [
        ...(s.skips ?? []).filter((gap) => gap.to > s.nextPeriod),
        ...(from < to ? [{ from, to }] : []),
      ];
      return {
        state: commit(s, {
          status: s.dunning ? 'past_due' : 'active',
          pausedAt: null,
          skips,
        }),
        emails: [],
      };
    },

    /** The outcome of an attempt, recorded in the ledger: the state moves on. */
    afterCharge(
      s: SubscriptionState,
      attempt: ChargeAttempt,
      result: ChargeResult,
      now: number,
    ): Transition {
      const { period, amount } = attempt;
      const lastCharge = {
        period,
        attempt: attempt.attempt,
        outcome: result.outcome,
        amount,
        at: iso(now),
        providerRef: result.providerRef,
      };
      const nextPeriod = Math.max(s.nextPeriod, period + 1);
      const skips = (s.skips ?? []).filter((gap) => gap.to > nextPeriod);
      if (result.outcome === 'succeeded') {
        const periodsBilled = s.periodsBilled + 1;
        const adopted =
          s.pendingPrice && period >= s.pendingPrice.fromPeriod
            ? { price: s.pendingPrice.price, pendingPrice: null }
            : {};
        const emails = [
          email('receipt', period, {
            period,
            amount: formatMoney(amount),
            providerRef: result.providerRef ?? '',
          }),
        ];
        const completes =
          s.status !== 'canceled' && ctx.maxPeriods !== null && periodsBilled >= ctx.maxPeriods;
        if (completes) emails.push(email('subscription_ended', 'end', { periodsBilled }));
        const status = completes
          ? ('completed' as const)
          : s.status === 'canceled' || s.status === 'paused'
            ? s.status
            : ('active' as const);
        return {
          state: commit(s, {
            ...adopted,
            status,
            periodsBilled,
            nextPeriod,
            skips,
            dunning: null,
            lastCharge,
          }),
          emails,
        };
      }

      const policy = s.policy ?? DEFAULT_BILLING_POLICY;
      const retryInDays = policy.dunningDays[attempt.attempt - 1];
      const end = endOf(s);
      const retryAt = retryInDays === undefined ? Infinity : now + retryInDays * DAY_MS;
      if (s.status === 'canceled' || (retryInDays !== undefined && retryAt >= end)) {
        // Canceled before it could be retried: the decline is the period's recorded outcome.
        return {
          state: commit(s, { nextPeriod, skips, dunning: null, lastCharge }),
          emails: [],
        };
      }
      if (retryInDays === undefined) {
        const effectiveAt = iso(Math.min(at(period), end));
        return {
          state: commit(s, {
            status: 'canceled',
            nextPeriod,
            skips,
            dunning: null,
            lastCharge,
            cancel: { requestedAt: iso(now), mode: 'now', effectiveAt, reason: 'unpaid' },
          }),
          emails: [email('canceled_unpaid', period, { period, amount: formatMoney(amount) })],
        };
      }
      return {
        state: commit(s, {
          status: s.status === 'paused' ? 'paused' : 'past_due',
          nextPeriod,
          skips,
          dunning: { period, attempt: attempt.attempt + 1, retryAt: iso(retryAt), amount },
          lastCharge,
        }),
        emails: [
          email('payment_failed', `${period}:${attempt.attempt}`, {
            period,
            amount: formatMoney(amount),
            retryAt: iso(retryAt),
            reason: result.failureCode ?? result.outcome,
          }),
        ],
      };
    },
  };
}
