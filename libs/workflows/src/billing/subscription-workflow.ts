import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Money } from '@invincible/money';
import { createMessageGuard } from '../messages/message-guard';
import { subscriptionSearchAttributes } from './search-attributes';
import { createBillingModel, initialState, pinPolicy, type ChargeAttempt } from './billing-model';
import {
  cancelSignal,
  cancelUpdate,
  changePriceUpdate,
  chargeIdempotencyKey,
  detailsQuery,
  INVALID_SUBSCRIPTION_INPUT,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  SUBSCRIPTION_STATE_CONFLICT,
  subscriptionInputProblems,
  type BillingActivities,
  type BillingEmail,
  type CancelRequest,
  type SubscriptionInput,
  type SubscriptionResult,
  type SubscriptionState,
} from './contract';
import { cancelSignalProblem, legacySubscription } from './legacy-subscription-workflow';

/**
 * Executions started before this patch run the frozen loop of legacy-subscription-workflow.ts
 * (their histories replay unchanged); every execution started after it — including the
 * continue-as-new runs of old ones — takes the model-driven loop below.
 */
export const EXACTLY_ONCE_PATCH = 'billing-exactly-once';

/**
 * Upserting search attributes is a command of its own: a history recorded without them replays
 * only if no upsert is emitted where it has none. So each upsert asks `patched()` first, at the
 * moment one is due — false while replaying a history without this marker, true (and the marker
 * recorded) for new executions and for running ones once they make progress on this code.
 */
export const SEARCH_ATTRIBUTES_PATCH = 'subscription-search-attributes';

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
 * After the window ran out, the outcome is unknown: asked until the provider answers (no new key
 * is used while it might have charged).
 */
const { lookupPayment } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

const { recordCharge, publish, earnLoyaltyPoints } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * An Update refused because of the subscription's state, not its input (already canceled, not
 * paused…): typed so that callers can tell a conflict from a bad request.
 */
const stateConflict = (message: string) =>
  ApplicationFailure.create({ message, type: SUBSCRIPTION_STATE_CONFLICT, nonRetryable: true });

/**
 * One subscription: every owed period charged exactly once at the price in force for it, whatever
 * arrives when (the rules: billing-model.ts). Message handlers validate and apply the model's
 * pure transitions; the loop performs every effect — charge, ledger, loyalty points, and one
 * `publish` of emails and projection per change — and continues-as-new with everything a handler
 * changed.
 */
export async function subscription(input: SubscriptionInput): Promise<SubscriptionResult> {
  const guard = createMessageGuard(input?.state?.rejected);
  if (!patched(EXACTLY_ONCE_PATCH)) return legacySubscription(input, guard);

  const problems = subscriptionInputProblems(input, workflowInfo().workflowId);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: INVALID_SUBSCRIPTION_INPUT,
      message: `invalid subscription input: ${problems.join('; ')}`,
      nonRetryable: true,
      details: problems,
    });
  }

  const carried = input.state;
  let s: SubscriptionState = carried
    ? { ...carried, policy: carried.policy ?? pinPolicy(input), skips: carried.skips ?? [] }
    : initialState(input);
  const policy = s.policy ?? pinPolicy(input);
  const model = createBillingModel({
    subscriptionId: input.subscriptionId,
    customerId: input.customerId,
    customerEmail: input.customerEmail,
    schedule: {
      anchorAt: new Date(s.anchorAt),
      timeZone: input.timeZone,
      interval: input.interval,
    },
    maxPeriods: input.maxPeriods ?? null,
  });
  const runStartedWithPeriods = s.periodsBilled;
  /** Emails decided and not yet published; carried across continue-as-new. */
  const outbox: BillingEmail[] = [...(input.carried?.emails ?? [])];
  /** The version last saved as the projection (−1: the initial state is not saved yet). */
  let projected = carried && !input.carried?.projectionStale ? s.version : -1;
  /** The attempt whose gateway call has not answered yet. */
  let inFlight: ChargeAttempt | null = null;

  const dirty = () => outbox.length > 0 || projected !== s.version;
  const apply = (t: { state: SubscriptionState; emails: readonly BillingEmail[] }) => {
    s = { ...t.state, rejected: guard.rejected() };
    outbox.push(...t.emails);
  };
  const ended = () => s.status === 'canceled' || s.status === 'completed';

  /**
   * Brings the search attributes in line with the state (status, next charge): those that differ
   * from what the execution holds (set at start, carried across continue-as-new, or upserted)
   * are upserted. Called by the loop only — never by a query or a validator.
   */
  const index = () => {
    const current = workflowInfo().typedSearchAttributes;
    const changed = subscriptionSearchAttributes(input.customerId, s).filter(({ key, value }) => {
      const held = current.get(key);
      return value instanceof Date
        ? !(held instanceof Date && held.getTime() === value.getTime())
        : (held ?? null) !== value;
    });
    if (changed.length > 0 && patched(SEARCH_ATTRIBUTES_PATCH)) upsertSearchAttributes(changed);
  };

  // ---- messages: validate, apply a pure transition, return; every effect is the loop's ----

  setHandler(
    cancelSignal,
    guard.signal('cancel', cancelSignalProblem, () => {
      // A signal cannot be refused: cancelling what has ended is a no-op.
      if (model.cancelRefusal(s, 'now', Date.now()) === null)
        apply(model.cancel(s, { mode: 'now', reason: 'customer_request' }, Date.now(), inFlight));
    }),
  );

  setHandler(
    cancelUpdate,
    (request: CancelRequest) => {
      const t = model.cancel(
        s,
        { mode: request.mode, reason: request.reason ?? 'customer_request' },
        Date.now(),
        inFlight,
      );
      apply(t);
      return { effectiveAt: t.effectiveAt };
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
        const refusal = model.cancelRefusal(s, request.mode, Date.now());
        if (refusal !== null) throw stateConflict(refusal);
      },
    },
  );

  setHandler(
    changePriceUpdate,
    ({ price }) => {
      const t = model.changePrice(
        s,
        { amountMinor: price.amountMinor, currency: price.currency },
        inFlight,
      );
      apply(t);
      return { fromPeriod: t.fromPeriod };
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
      apply(model.pause(s, Date.now()));
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
      apply(model.resume(s, Date.now()));
      // The whole state: the API answers "the subscription after the change" from it, not from
      // a later read that may fall back to an older projection.
      return { nextChargeAt: s.nextChargeAt, state: s };
    },
    {
      validator: () => {
        if (s.status !== 'paused')
          throw stateConflict(`only a paused subscription can be resumed (it is ${s.status})`);
      },
    },
  );

  setHandler(statusQuery, () => ({ ...s, rejected: guard.rejected() }));
  setHandler(detailsQuery, () => ({
    subscriptionId: input.subscriptionId,
    customerId: input.customerId,
    interval: input.interval,
    timeZone: input.timeZone,
    maxPeriods: input.maxPeriods ?? null,
    state: { ...s, rejected: guard.rejected() },
  }));
  // After the handlers: installed earlier, the default handler would take a `cancel` that arrived
  // with the start as an unknown signal.
  guard.rejectUnknownSignals();

  // ---- effects, in one place ----

  /** Publishes what handlers and the loop decided: the emails, then the projection. */
  const flush = async () => {
    const emails = outbox.splice(0, outbox.length);
    const state = s;
    const stale = projected !== state.version;
    try {
      await publish({
        emails,
        projection: stale
          ? {
              subscriptionId: input.subscriptionId,
              customerId: input.customerId,
              interval: input.interval,
              timeZone: input.timeZone,
              state,
            }
          : null,
      });
    } catch (error) {
      outbox.unshift(...emails); // not published: keep them for the next flush
      throw error;
    }
    projected = Math.max(projected, state.version);
  };

  /** Charges one attempt, settles an unknown outcome by key, records it, and applies it. */
  const charge = async (attempt: ChargeAttempt) => {
    const request = {
      idempotencyKey: chargeIdempotencyKey(input.subscriptionId, attempt.period, attempt.attempt),
      customerId: input.customerId,
      paymentMethod: input.paymentMethod,
      amount: attempt.amount,
    };
    inFlight = attempt;
    let outcome: 'succeeded' | 'declined' | 'failed';
    let providerRef: string | null = null;
    let failureCode: string | null = null;
    try {
      const result = await chargePayment(request);
      outcome = result.status;
      providerRef = result.providerRef;
      failureCode = result.status === 'declined' ? result.declineCode : null;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // The window ran out without an answer: the provider may have charged. Only what it
      // knows of the key decides; `not_found` voids the key, so the retry's new key is safe.
      const known = await lookupPayment(request);
      if (known.status === 'not_found') {
        outcome = 'failed';
        failureCode =
          error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'error') : 'timeout';
      } else {
        outcome = known.status;
        providerRef = known.providerRef;
        failureCode = known.status === 'declined' ? known.declineCode : null;
      }
    }
    const now = Date.now();
    await recordCharge({
      subscriptionId: input.subscriptionId,
      customerId: input.customerId,
      period: attempt.period,
      attempt: attempt.attempt,
      amount: attempt.amount,
      outcome,
      providerRef,
      failureCode,
      occurredAt: new Date(now).toISOString(),
    });
    if (outcome === 'succeeded') {
      await earnLoyaltyPoints({
        customerId: input.customerId,
        customerEmail: input.customerEmail,
        purchaseId: request.idempotencyKey,
        amount: attempt.amount,
        occurredAt: new Date(now).toISOString(),
      });
    }
    inFlight = null;
    apply(model.afterCharge(s, attempt, { outcome, providerRef, failureCode }, now));
  };

  // ---- the loop ----

  for (;;) {
    index();
    if (dirty()) {
      await flush();
      continue;
    }
    const step = model.nextStep(s);
    if (step.kind === 'done') break;

    // Continue-as-new between steps, once every handler has finished and its effects are
    // published; anything still unpublished travels with the state.
    const periodsThisRun = s.periodsBilled - runStartedWithPeriods;
    if (periodsThisRun >= policy.periodsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (dirty()) continue;
      // The next run starts with this run's search attributes, found by the same queries from its
      // first instant: Temporal 1.29 carries them when the command names none; named here so
      // no server's default decides. (A ContinueAsNew command is matched by type on replay.)
      await makeContinueAsNewFunc<typeof subscription>({
        typedSearchAttributes: workflowInfo().typedSearchAttributes,
      })({
        ...input,
        state: { ...s, rejected: guard.rejected() },
        carried: { emails: [...outbox], projectionStale: projected !== s.version },
      });
    }

    if (step.kind === 'await-message') {
      await condition(dirty);
      continue;
    }
    const wait = step.at - Date.now();
    if (wait > 0) {
      // Any change (a message) interrupts the wait at once.
      if (await condition(dirty, wait)) continue;
    }
    if (step.kind === 'cancel-takes-effect') apply(model.cancelTakesEffect(s));
    else await charge(step);
  }

  await condition(allHandlersFinished);
  while (dirty()) await flush();
  index();
  return {
    status: s.status === 'completed' ? 'completed' : 'canceled',
    periodsBilled: s.periodsBilled,
    reason: s.status === 'completed' ? 'max_periods' : (s.cancel?.reason ?? 'canceled'),
  };
}
