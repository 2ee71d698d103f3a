/**
 * The subscription workflow as it was before `billing-exactly-once`: frozen, so that executions
 * started before that patch replay exactly as recorded; once live again, they continue-as-new into
 * the path in subscription-workflow.ts at their next turn (`MIGRATE_TO_MODEL_PATCH`). The other
 * change: the `cancel` signal goes through the message guard (no command for a well-formed one).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { formatMoney, type Money } from '@invincible/money';
import type { MessageGuard } from '../messages/message-guard';
import { chargeAt } from './calendar';
import {
  cancelSignal,
  cancelUpdate,
  changePriceUpdate,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  detailsQuery,
  SUBSCRIPTION_STATE_CONFLICT,
  type BillingActivities,
  type BillingEmail,
  type BillingEmailTemplate,
  type CancelRequest,
  type SubscriptionInput,
  type SubscriptionResult,
  type SubscriptionState,
  chargeIdempotencyKey,
} from './contract';

/** The patch under which a running execution of this loop continues-as-new into the new one. */
export const MIGRATE_TO_MODEL_PATCH = 'billing-legacy-moves-to-model';

/** The `cancel` signal takes no arguments: anything else is a malformed message. */
export const cancelSignalProblem = (...args: unknown[]): string | null =>
  args.length > 0 ? 'the cancel signal takes no arguments' : null;

/**
 * The charge's retry window (12 h of backoff, capped at 10 min between tries) stays well inside
 * the 24 h for which payment providers commonly keep an idempotency key: every retry of one
 * attempt reuses the key while the provider still remembers it, so it can never charge twice.
 */
const { chargePayment } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '12 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * An Update refused because of the subscription's state, not its input (already canceled, not
 * paused…): typed so that callers can tell a conflict from a bad request.
 */
const stateConflict = (message: string) =>
  ApplicationFailure.create({ message, type: SUBSCRIPTION_STATE_CONFLICT, nonRetryable: true });

const { recordCharge, saveSubscription, sendEmail, earnLoyaltyPoints } =
  proxyActivities<BillingActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

const DAY_MS = 86_400_000;
const DEFAULT_DUNNING_DAYS = [1, 3, 5, 7] as const;
const DEFAULT_PERIODS_PER_RUN = 12;

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => new Date(instant).getTime();

function initialState(input: SubscriptionInput): SubscriptionState {
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
  };
}

/**
 * The pre-`billing-exactly-once` loop (see the file's comment); called by `subscription` only
 * when replaying or running an execution that started before the patch.
 */
export async function legacySubscription(
  input: SubscriptionInput,
  guard: MessageGuard,
  /** Move to the new loop at the next turn (false only in the fixture that plays the old code). */
  migrate = true,
): Promise<SubscriptionResult> {
  let s: SubscriptionState = input.state ?? initialState(input);
  const schedule = {
    anchorAt: new Date(s.anchorAt),
    timeZone: input.timeZone,
    interval: input.interval,
  };
  const dunningDays = input.dunningDays ?? DEFAULT_DUNNING_DAYS;
  const periodsPerRun = input.periodsPerRun ?? DEFAULT_PERIODS_PER_RUN;
  const runStartedWithPeriods = s.periodsBilled;
  const outbox: BillingEmail[] = [];
  let changed = input.state === undefined; // project the initial state once

  const update = (patch: Partial<SubscriptionState>) => {
    s = { ...s, ...patch, version: s.version + 1 };
    changed = true;
  };
  const email = (
    template: BillingEmailTemplate,
    discriminator: string | number,
    data: Record<string, string | number> = {},
  ) => {
    outbox.push({
      id: `${input.subscriptionId}:${template}:${discriminator}`,
      customerId: input.customerId,
      to: input.customerEmail,
      template,
      data: { subscriptionId: input.subscriptionId, ...data },
    });
  };
  const ended = () => s.status === 'canceled' || s.status === 'completed';
  const priceFor = (period: number): Money =>
    s.pendingPrice && period >= s.pendingPrice.fromPeriod ? s.pendingPrice.price : s.price;

  // ---- messages: validate, change state, return; every side effect is the main loop's ----

  const cancelNow = (reason: string) => {
    const now = Date.now();
    const inTrial = s.status === 'trialing';
    update({
      status: 'canceled',
      nextChargeAt: null,
      dunning: null,
      cancel: { requestedAt: iso(now), mode: 'now', effectiveAt: iso(now), reason },
    });
    email(inTrial ? 'trial_canceled' : 'canceled', 'cancel', { effectiveAt: iso(now) });
    return iso(now);
  };

  setHandler(
    cancelSignal,
    guard.signal('cancel', cancelSignalProblem, () => {
      // A signal cannot be rejected: cancelling what has ended is simply a no-op.
      if (!ended()) cancelNow('customer_request');
    }),
  );

  setHandler(
    cancelUpdate,
    (request: CancelRequest) => {
      const reason = request.reason ?? 'customer_request';
      if (
        request.mode === 'now' ||
        s.status === 'trialing' ||
        s.status === 'paused' ||
        s.nextChargeAt === null
      ) {
        return { effectiveAt: cancelNow(reason) };
      }
      // At period end: the period already paid runs out; nothing is charged from its end on.
      const effectiveAt = s.nextChargeAt;
      update({
        cancel: { requestedAt: iso(Date.now()), mode: 'at_period_end', effectiveAt, reason },
      });
      email('canceled', 'cancel', { effectiveAt });
      return { effectiveAt };
    },
    {
      validator: (request: CancelRequest) => {
        if (
          typeof request !== 'object' ||
          request === null ||
          (request.mode !== 'now' && request.mode !== 'at_period_end')
        ) {
          throw new Error('mode must be "now" or "at_period_end"');
        }
        if (
          request.reason !== undefined &&
          (typeof request.reason !== 'string' || request.reason.length > 200)
        ) {
          throw new Error('reason must be a string of at most 200 characters');
        }
        if (ended()) throw stateConflict(`the subscription is already ${s.status}`);
        if (s.cancel && request.mode === 'at_period_end') {
          throw stateConflict(
            `the subscription is already set to cancel at ${s.cancel.effectiveAt}`,
          );
        }
      },
    },
  );

  setHandler(
    changePriceUpdate,
    ({ price }) => {
      const fromPeriod = s.nextPeriod;
      update({ pendingPrice: { price, fromPeriod } });
      return { fromPeriod };
    },
    {
      validator: (request) => {
        const price = (request as { price?: Partial<Money> } | null)?.price;
        if (!price || !Number.isSafeInteger(price.amountMinor) || (price.amountMinor ?? 0) <= 0) {
          throw new Error('price.amountMinor must be a positive whole number of minor units');
        }
        if (price.currency !== s.price.currency) {
          throw new Error(`price.currency must stay ${s.price.currency}`);
        }
        if (ended() || s.cancel)
          throw stateConflict(`the subscription is ${s.cancel ? 'being canceled' : s.status}`);
      },
    },
  );

  setHandler(
    pauseUpdate,
    () => {
      update({ status: 'paused', pausedAt: iso(Date.now()) });
      return s;
    },
    {
      validator: () => {
        if (s.status !== 'active')
          throw stateConflict(`only an active subscription can be paused (it is ${s.status})`);
        if (s.cancel) throw stateConflict('the subscription is set to cancel');
      },
    },
  );

  setHandler(
    resumeUpdate,
    () => {
      // The rule: the schedule keeps its anchor; periods whose charge date passed during the
      // pause are not billed; billing resumes at the first anchor date after the resume.
      const now = Date.now();
      let next = s.nextPeriod;
      while (chargeAt(schedule, next).getTime() <= now) next++;
      update({
        status: 'active',
        pausedAt: null,
        nextPeriod: next,
        nextChargeAt: chargeAt(schedule, next).toISOString(),
      });
      return { nextChargeAt: s.nextChargeAt };
    },
    {
      validator: () => {
        if (s.status !== 'paused')
          throw stateConflict(`only a paused subscription can be resumed (it is ${s.status})`);
      },
    },
  );

  setHandler(statusQuery, () => s);
  setHandler(detailsQuery, () => ({
    subscriptionId: input.subscriptionId,
    customerId: input.customerId,
    interval: input.interval,
    timeZone: input.timeZone,
    maxPeriods: input.maxPeriods ?? null,
    state: s,
  }));

  // ---- side effects, in one place ----

  const flush = async () => {
    while (outbox.length > 0) {
      const next = outbox[0];
      if (next) await sendEmail(next);
      outbox.shift();
    }
    if (changed) {
      changed = false;
      await saveSubscription({
        subscriptionId: input.subscriptionId,
        customerId: input.customerId,
        interval: input.interval,
        timeZone: input.timeZone,
        state: s,
      });
    }
  };

  /** Charges `period` (attempt `attempt`), records it, and moves the state on. */
  const charge = async (period: number, attempt: number) => {
    const amount = priceFor(period);
    const idempotencyKey = chargeIdempotencyKey(input.subscriptionId, period, attempt);
    let outcome: 'succeeded' | 'declined' | 'failed';
    let providerRef: string | null = null;
    let failureCode: string | null = null;
    try {
      const result = await chargePayment({
        idempotencyKey,
        customerId: input.customerId,
        paymentMethod: input.paymentMethod,
        amount,
      });
      outcome = result.status;
      providerRef = result.providerRef;
      failureCode = result.status === 'declined' ? result.declineCode : null;
    } catch (error) {
      // The whole retry window ran out (a provider down for 12 h): a failed attempt, dunned like a decline.
      if (!(error instanceof ActivityFailure)) throw error;
      outcome = 'failed';
      failureCode =
        error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'error') : 'timeout';
    }
    const at = iso(Date.now());
    await recordCharge({
      subscriptionId: input.subscriptionId,
      customerId: input.customerId,
      period,
      attempt,
      amount,
      outcome,
      providerRef,
      failureCode,
      occurredAt: at,
    });
    const lastCharge = { period, attempt, outcome, amount, at, providerRef };

    if (outcome === 'succeeded') {
      const periodsBilled = s.periodsBilled + 1;
      const adopted =
        s.pendingPrice && period >= s.pendingPrice.fromPeriod
          ? { price: s.pendingPrice.price, pendingPrice: null }
          : {};
      email('receipt', period, {
        period,
        amount: formatMoney(amount),
        providerRef: providerRef ?? '',
      });
      // Added after histories were recorded: executions started before it skip it on replay.
      if (patched('charges-earn-loyalty-points')) {
        await earnLoyaltyPoints({
          customerId: input.customerId,
          customerEmail: input.customerEmail,
          purchaseId: idempotencyKey,
          amount,
          occurredAt: at,
        });
      }
      if (ended()) {
        // Canceled while this charge was in flight: it started before the cancel and stands.
        update({ ...adopted, periodsBilled, lastCharge });
        return;
      }
      if (input.maxPeriods !== undefined && periodsBilled >= input.maxPeriods) {
        update({
          ...adopted,
          status: 'completed',
          periodsBilled,
          nextChargeAt: null,
          dunning: null,
          lastCharge,
        });
        email('subscription_ended', 'end', { periodsBilled });
        return;
      }
      const nextPeriod = Math.max(s.nextPeriod, period + 1);
      update({
        ...adopted,
        // A pause that arrived while the charge was in flight stays in force.
        status: s.status === 'paused' ? 'paused' : 'active',
        periodsBilled,
        nextPeriod,
        nextChargeAt: chargeAt(schedule, nextPeriod).toISOString(),
        dunning: null,
        lastCharge,
      });
      return;
    }

    if (ended()) {
      update({ lastCharge });
      return;
    }
    const retryInDays = dunningDays[attempt - 1];
    if (retryInDays === undefined) {
      update({
        status: 'canceled',
        nextChargeAt: null,
        dunning: null,
        lastCharge,
        cancel: { requestedAt: at, mode: 'now', effectiveAt: at, reason: 'unpaid' },
      });
      email('canceled_unpaid', period, { period, amount: formatMoney(amount) });
      return;
    }
    const retryAt = iso(Date.now() + retryInDays * DAY_MS);
    update({
      status: 'past_due',
      nextPeriod: Math.max(s.nextPeriod, period + 1),
      dunning: { period, attempt: attempt + 1, retryAt },
      lastCharge,
    });
    email('payment_failed', `${period}:${attempt}`, {
      period,
      amount: formatMoney(amount),
      retryAt,
      reason: failureCode ?? outcome,
    });
  };

  // ---- the loop ----

  for (;;) {
    await flush();
    if (ended()) break;

    if (s.status === 'paused') {
      await condition(() => s.status !== 'paused' || changed);
      continue;
    }

    // Continue-as-new between periods, never in the middle of a handler's work.
    const periodsThisRun = s.periodsBilled - runStartedWithPeriods;
    const due = periodsThisRun >= periodsPerRun || workflowInfo().continueAsNewSuggested;
    // A running execution of this loop moves to the model-driven one at its first turn after the
    // deploy (its next run starts after `billing-exactly-once`), carrying what it had not sent.
    // Replayed turns recorded before this patch answer false and take the old path.
    if (due || (migrate && patched(MIGRATE_TO_MODEL_PATCH))) {
      await condition(allHandlersFinished);
      await flush();
      if (!ended())
        await continueAsNew<(i: SubscriptionInput) => Promise<SubscriptionResult>>({
          ...input,
          state: s,
          ...(due ? {} : { carried: { emails: [...outbox], projectionStale: changed } }),
        });
    }

    // What is due next: a dunning retry, the end of a period set to cancel, or the next charge.
    const cancelAt = s.cancel?.mode === 'at_period_end' ? ms(s.cancel.effectiveAt) : Infinity;
    const chargeDue = s.dunning
      ? ms(s.dunning.retryAt)
      : s.nextChargeAt
        ? ms(s.nextChargeAt)
        : Infinity;
    const dueAt = Math.min(cancelAt, chargeDue);
    const wait = dueAt - Date.now();
    if (wait > 0) {
      // Any message interrupts the wait at once.
      await condition(() => changed || outbox.length > 0, wait);
      if (changed || outbox.length > 0) continue;
    }
    if (cancelAt <= Date.now() && cancelAt <= chargeDue) {
      update({ status: 'canceled', nextChargeAt: null, dunning: null });
      continue;
    }
    if (s.dunning) {
      await charge(s.dunning.period, s.dunning.attempt);
    } else {
      if (s.status === 'trialing') update({ status: 'active' });
      await charge(s.nextPeriod, 1);
    }
  }

  await condition(allHandlersFinished);
  await flush();
  return {
    status: s.status === 'completed' ? 'completed' : 'canceled',
    periodsBilled: s.periodsBilled,
    reason: s.status === 'completed' ? 'max_periods' : (s.cancel?.reason ?? 'canceled'),
  };
}
