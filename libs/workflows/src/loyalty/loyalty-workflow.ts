import * as otel from '@opentelemetry/api';
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { createMessageGuard, NO_REJECTED_MESSAGES } from '../messages/message-guard';
import { isUndecodable } from '../messages/undecodable';
import {
  CUSTOMER_ID_SEARCH_ATTRIBUTE,
  loyaltySearchAttributes,
} from '../search-attributes/contract';
import {
  getPointsQuery,
  notifyPurchaseSignal,
  recordPurchaseUpdate,
  redeemCouponUpdate,
  type CouponView,
  type LedgerEntryResult,
  type LoyaltyActivities,
  type LoyaltyInput,
  type LoyaltySettings,
  type LoyaltyState,
  type Purchase,
  type PurchaseResult,
  type QueuedPurchase,
  COUPON_ALREADY_REDEEMED,
  COUPON_NOT_FOUND,
  INVALID_LOYALTY_INPUT,
  LOYALTY_KEY_PATTERN,
  pointsFor,
  purchaseProblem,
} from './contract';
import {
  answerBatch,
  balanceOf,
  compactAnswer,
  expandAnswer,
  type Answer,
  couponId,
  couponNumber,
  couponsOwed,
  loyaltyInputProblem,
  purchaseKey,
  resolveSettings,
} from './rules';

/** The activities, retried with backoff from `initialMs` (settings: 1 s unless a test shortens it). */
const activitiesWith = (initialMs: number) =>
  proxyActivities<LoyaltyActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: initialMs, backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

const refused = (type: string, message: string) =>
  ApplicationFailure.create({ message, type, nonRetryable: true });

/** Results carried across continue-as-new and shown by `get-points`. */
const RECENT = 20;
/** Results answered from memory within a run; older ones are answered from the ledger. */
const ANSWERS_IN_MEMORY = 1_000;
/** Queued purchases counted per loop turn, with one ledger activity for all of them. */
const MAX_BATCH = 100;
/** Coupons stored and emailed per activity. */
const COUPON_CHUNK = 100;
/**
 * Executions recorded before batching counted one purchase per loop turn, each with its own
 * `recordProcessedPurchase`; they take that path on replay.
 */
const BATCHED_PURCHASES_PATCH = 'loyalty-batched-purchases';
/**
 * The ledger: purchases counted by (customer, source, purchaseId) with the writer's token and the
 * first answer, coupons derived from the ledger's sum, rehydration from the tables, validated
 * input. Executions recorded before it replay on the paths above.
 */
const LEDGER_PATCH = 'loyalty-ledger';
/**
 * A program started without `CustomerId` (before the API set it at start) upserts it. The upsert
 * is a command that histories recorded without it do not have: asked where it is due, `patched()`
 * is false while replaying them and true for programs making progress on this code.
 */
const SEARCH_ATTRIBUTES_PATCH = 'loyalty-search-attributes';

/** The state carried by runs before the ledger: whole coupon objects, results without request ids. */
interface PreLedgerState {
  readonly lifetimePoints?: number;
  readonly coupons?: readonly { readonly status: string }[];
  readonly recent?: readonly PurchaseResult[];
  readonly pending?: readonly Purchase[];
  readonly rejectedSignals?: number;
  readonly version?: number;
}

/** What state a run starts from, whichever shape the previous run carried. */
function carriedState(
  customerId: string,
  state: LoyaltyState | PreLedgerState,
  settings: LoyaltySettings,
): LoyaltyState {
  if ('settings' in state) return state;
  const coupons = state.coupons ?? [];
  return {
    settings,
    lifetimePoints: state.lifetimePoints ?? 0,
    couponsIssued: coupons.length,
    couponsRedeemed: coupons.filter((c) => c.status === 'redeemed').length,
    // All of them: an execution that carried them may answer a duplicate from any (on replay too).
    recent: (state.recent ?? []).map((result) =>
      compactAnswer(customerId, {
        key: purchaseKey({ purchaseId: result.purchaseId }),
        requestId: null,
        result,
      }),
    ),
    pending: (state.pending ?? []).map((purchase) => ({ purchase, requestId: null })),
    rejected: { ...NO_REJECTED_MESSAGES, malformed: state.rejectedSignals ?? 0 },
    version: state.version ?? 0,
    batches: 0,
  };
}

/**
 * One customer's loyalty program, forever: each purchase earns points exactly once (by customer,
 * source and purchaseId, across retries, lost answers, duplicate deliveries, continue-as-new and
 * restarts), a coupon is issued exactly once each time the balance reaches the threshold, and
 * coupons are redeemed at most once. Handlers validate and enqueue; the loop decides, in order;
 * the points ledger in the repository is the source of truth it rehydrates from.
 */
export async function loyaltyProgram(input: LoyaltyInput): Promise<never> {
  // Executions recorded before the ledger take their old paths; new ones validate their input
  // first: a run for another customer, or with no input at all, fails at once with a reason.
  const onLedger = patched(LEDGER_PATCH);
  if (onLedger) {
    const problem = loyaltyInputProblem(
      isUndecodable(input) ? undefined : input,
      workflowInfo().workflowId,
    );
    if (problem) throw refused(INVALID_LOYALTY_INPUT, problem);
  }
  const { customerId } = input;
  let s: LoyaltyState = input.state
    ? carriedState(customerId, input.state, resolveSettings(input))
    : {
        settings: resolveSettings(input),
        lifetimePoints: 0,
        couponsIssued: 0,
        couponsRedeemed: 0,
        recent: [],
        pending: [],
        rejected: NO_REJECTED_MESSAGES,
        version: 0,
        batches: 0,
      };
  const { earnRate, couponThreshold: threshold, couponValue, eventsPerRun } = s.settings;
  const {
    countPurchases,
    issueCoupons: issueCouponRange,
    loadAccount,
    redeemCoupon,
    saveAccount,
    recordProcessedPurchase,
    recordProcessedPurchases,
    issueCoupon,
  } = activitiesWith(s.settings.retryInitialMs ?? 1_000);
  // Each run saves the projection once at its start (a continued run may carry changes).
  let changed = true;
  // A rejected message changes the state (its count), and is projected like any other change.
  const guard = createMessageGuard(s.rejected, () => (changed = true));
  const queue: QueuedPurchase[] = [...s.pending];
  const answers = new Map<string, Answer>(
    s.recent.map((r) => [r.key, expandAnswer(customerId, r)]),
  );
  const redeeming = new Set<string>();
  /** Keys that a recordPurchase handler waits for; the loop clears them as it answers. */
  const waitingFor = new Set<string>();
  /**
   * The trace context of each waiting Update (tracing installed: its HandleUpdate span), so the
   * batch's activity runs in the trace of the request it counts rather than in the program's
   * months-long run. Never in the state: contexts belong to this run's memory, and a replay
   * rebuilds them from the same handlers.
   */
  const requestTraces = new Map<string, otel.Context>();
  let ready = !(onLedger && !input.state);
  let events = 0;

  const update = (patch: Partial<LoyaltyState>) => {
    s = { ...s, ...patch, version: s.version + 1 };
    changed = true;
  };
  const balance = () => balanceOf(s.lifetimePoints, threshold);
  /** The answer a request gets: the first result, `counted` only for the request that counted it. */
  const answerFor = (known: Answer, requestId: string | null): PurchaseResult =>
    known.result.counted && known.requestId !== null && known.requestId === requestId
      ? known.result
      : { ...known.result, counted: false };

  setHandler(
    notifyPurchaseSignal,
    // A signal cannot be refused to its sender: bad or undecodable input is counted, never thrown.
    guard.signal(
      'notify-purchase',
      (p) => purchaseProblem(p, s.settings),
      (purchase: Purchase) => {
        if (!answers.has(purchaseKey(purchase))) queue.push({ purchase, requestId: null });
      },
    ),
  );

  setHandler(
    recordPurchaseUpdate,
    async (purchase: Purchase) => {
      const key = purchaseKey(purchase);
      const requestId = currentUpdateInfo()?.id ?? null;
      const known = answers.get(key);
      if (known) return answerFor(known, requestId);
      if (!queue.some((q) => purchaseKey(q.purchase) === key)) queue.push({ purchase, requestId });
      // The request's trace context (its HandleUpdate span), for the activity that counts it.
      if (!requestTraces.has(key)) requestTraces.set(key, otel.context.active());
      waitingFor.add(key);
      await condition(() => answers.has(key));
      return answerFor(answers.get(key) as Answer, requestId);
    },
    {
      validator: (purchase) => {
        // The bound holds on every path (validators do not run on replay).
        const problem = purchaseProblem(purchase, s.settings);
        if (problem) throw new Error(problem);
      },
    },
  );

  setHandler(
    redeemCouponUpdate,
    async ({ couponId: id }: { readonly couponId: string }) => {
      await condition(() => ready);
      const n = couponNumber(customerId, id);
      if (n === null || n > s.couponsIssued)
        throw refused(COUPON_NOT_FOUND, `customer ${customerId} has no coupon ${id}`);
      // Checked again here: of two concurrent redeems, the second starts after the first took it.
      if (redeeming.has(id))
        throw refused(COUPON_ALREADY_REDEEMED, `coupon ${id} is already redeemed`);
      redeeming.add(id);
      try {
        const at = new Date().toISOString();
        const stored = await redeemCoupon({
          id,
          customerId,
          at,
          requestId: currentUpdateInfo()?.id ?? `redeem:${id}`,
        });
        // Counted once: a retry of a redemption made by an earlier run keeps its first instant.
        if (!stored || stored.redeemedAt === at) update({ couponsRedeemed: s.couponsRedeemed + 1 });
        // (Executions before the ledger got no coupon back: answer as they did.)
        const answer: CouponView = stored ?? {
          id,
          value: couponValue,
          status: 'redeemed',
          issuedAt: at,
          redeemedAt: at,
        };
        return answer;
      } catch (error) {
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
          // The repository's guard refused it: the same answers as the validator's.
          const type = error.cause.type;
          throw refused(
            type === 'ConflictError'
              ? COUPON_ALREADY_REDEEMED
              : type === 'NotFoundError'
                ? COUPON_NOT_FOUND
                : (type ?? 'RedeemFailed'),
            error.cause.message,
          );
        }
        throw error;
      } finally {
        redeeming.delete(id);
      }
    },
    {
      validator: (request) => {
        const id = (request as { couponId?: unknown } | null)?.couponId;
        if (typeof id !== 'string' || !LOYALTY_KEY_PATTERN.test(id))
          throw new Error('couponId must be a coupon id');
        const n = couponNumber(customerId, id);
        if (n === null || (ready && n > s.couponsIssued))
          throw refused(COUPON_NOT_FOUND, `customer ${customerId} has no coupon ${id}`);
        if (redeeming.has(id))
          throw refused(COUPON_ALREADY_REDEEMED, `coupon ${id} is already redeemed`);
      },
    },
  );

  setHandler(getPointsQuery, () => ({
    customerId,
    balance: balance(),
    lifetimePoints: s.lifetimePoints,
    couponsIssued: s.couponsIssued,
    couponsRedeemed: s.couponsRedeemed,
    recentPurchases: s.recent.map((r) => expandAnswer(customerId, r).result),
    rejectedSignals: guard.total(),
    rejected: guard.rejected(),
  }));

  guard.rejectUnknownSignals();

  /** Records an answer: waiting handlers take it, and the last few are carried across runs. */
  const remember = (answer: Answer) => {
    answers.set(answer.key, answer);
    waitingFor.delete(answer.key);
    update({ recent: [...s.recent, compactAnswer(customerId, answer)].slice(-RECENT) });
    if (answers.size > ANSWERS_IN_MEMORY) {
      const carried = new Set(s.recent.map((r) => r.key));
      for (const key of answers.keys()) {
        if (answers.size <= ANSWERS_IN_MEMORY / 2) break;
        if (!carried.has(key) && !waitingFor.has(key)) answers.delete(key);
      }
    }
  };

  /** Stores and emails every coupon the ledger's sum owes and the tables do not hold yet. */
  const issueOwedCoupons = async (legacyOnePerActivity: boolean) => {
    const owed = couponsOwed(s.lifetimePoints, threshold);
    while (s.couponsIssued < owed) {
      const from = s.couponsIssued + 1;
      const to = legacyOnePerActivity ? from : Math.min(owed, from + COUPON_CHUNK - 1);
      const issuedAt = new Date().toISOString();
      const email = input.customerEmail ?? null;
      if (legacyOnePerActivity) {
        await issueCoupon({
          id: couponId(customerId, from),
          customerId,
          email,
          value: couponValue,
          issuedAt,
        });
      } else {
        await issueCouponRange({ customerId, email, from, to, value: couponValue, issuedAt });
      }
      update({ couponsIssued: to });
    }
  };

  /** The answer of a purchase counted now, from the shared rules. */
  const countedNow = (purchase: Purchase, requestId: string | null, points: number): Answer => {
    const [answer] = answerBatch(customerId, s.lifetimePoints, threshold, [
      { points, counted: true },
    ]).answers;
    update({ lifetimePoints: s.lifetimePoints + points });
    return {
      key: purchaseKey(purchase),
      requestId,
      result: {
        purchaseId: purchase.purchaseId,
        points,
        counted: true,
        couponsIssued: answer?.couponsIssued ?? [],
        balance: answer?.balanceAfter ?? balance(),
      },
    };
  };
  const countedBefore = (q: QueuedPurchase, points: number): Answer => ({
    key: purchaseKey(q.purchase),
    requestId: null,
    result: {
      purchaseId: q.purchase.purchaseId,
      points,
      counted: false,
      couponsIssued: [],
      balance: balance(),
    },
  });

  /**
   * The batch's purchases that have no answer yet, each once; a second delivery of an answered
   * one only releases its waiter (which already has the answer).
   */
  const unanswered = (batch: readonly QueuedPurchase[]): QueuedPurchase[] => {
    const fresh: QueuedPurchase[] = [];
    for (const q of batch) {
      const key = purchaseKey(q.purchase);
      if (answers.has(key)) waitingFor.delete(key);
      else if (!fresh.some((f) => purchaseKey(f.purchase) === key)) fresh.push(q);
    }
    return fresh;
  };

  /**
   * Counts a batch in the ledger — the source of truth — in queue order, then issues the coupons
   * the new sum owes, then answers the waiting Updates. The batch's token (`<runId>:<n>`) is the
   * same on every attempt of its activity, so a retry whose first attempt wrote and lost its
   * answer reads those rows as its own, never as "counted elsewhere".
   */
  const countBatch = async (batch: readonly QueuedPurchase[]) => {
    const fresh = unanswered(batch);
    if (fresh.length === 0) return;
    const batchNumber = s.batches + 1;
    // In the trace of the batch's first request (the others' traces have their HandleUpdate).
    const firstKey = purchaseKey((fresh[0] as QueuedPurchase).purchase);
    const trace = requestTraces.get(firstKey) ?? otel.context.active();
    for (const q of fresh) requestTraces.delete(purchaseKey(q.purchase));
    const results = await otel.context.with(trace, () =>
      countPurchases({
        customerId,
        countedBy: `${workflowInfo().runId}:${batchNumber}`,
        processedAt: new Date().toISOString(),
        couponThreshold: threshold,
        lifetimePoints: s.lifetimePoints,
        entries: fresh.map(({ purchase, requestId }) => ({
          source: purchase.source ?? 'purchase',
          purchaseId: purchase.purchaseId,
          total: { amountMinor: purchase.total, currency: purchase.currency },
          points: pointsFor(purchase, earnRate),
          requestId,
        })),
      }),
    );
    // A short answer is a bug: failing the workflow task holds the queue until it is fixed.
    if (results.length !== fresh.length)
      throw new Error(`ledger answered ${results.length} of ${fresh.length} purchases`);
    update({ batches: batchNumber });
    const done = fresh.map((q, i) => {
      const row = results[i] as LedgerEntryResult;
      if (row.counted) return countedNow(q.purchase, q.requestId, pointsFor(q.purchase, earnRate));
      // Counted before (another request, a signal, an earlier run): its first answer stands.
      return {
        key: purchaseKey(q.purchase),
        requestId: row.requestId,
        result: {
          purchaseId: q.purchase.purchaseId,
          points: row.points,
          counted: row.requestId !== null,
          couponsIssued: [...row.couponsIssued],
          balance: row.balanceAfter,
        },
      };
    });
    await issueOwedCoupons(false);
    done.forEach(remember);
  };

  /** The batched path before the ledger (replay of executions that took it). */
  const legacyBatch = async (batch: readonly QueuedPurchase[]) => {
    const fresh = unanswered(batch);
    if (fresh.length === 0) return;
    const ledger = await recordProcessedPurchases({
      customerId,
      processedAt: new Date().toISOString(),
      entries: fresh.map(({ purchase: p }) => ({
        purchaseId: p.purchaseId,
        total: { amountMinor: p.total, currency: p.currency },
        points: pointsFor(p, earnRate),
      })),
    });
    if (ledger.length !== fresh.length)
      throw new Error(`ledger answered ${ledger.length} of ${fresh.length} purchases`);
    const done = fresh.map((q, i) => {
      const row = ledger[i] as { readonly created: boolean; readonly points: number };
      return row.created
        ? countedNow(q.purchase, q.requestId, row.points)
        : countedBefore(q, row.points);
    });
    await issueOwedCoupons(true);
    done.forEach(remember);
  };

  /** The first path: one purchase, one ledger activity (replay of executions that took it). */
  const legacyOne = async (q: QueuedPurchase) => {
    const key = purchaseKey(q.purchase);
    if (answers.has(key)) {
      waitingFor.delete(key);
      return;
    }
    const points = pointsFor(q.purchase, earnRate);
    const ledger = await recordProcessedPurchase({
      purchaseId: q.purchase.purchaseId,
      customerId,
      total: { amountMinor: q.purchase.total, currency: q.purchase.currency },
      points,
      processedAt: new Date().toISOString(),
    });
    if (!ledger.created) {
      remember(countedBefore(q, ledger.points));
      return;
    }
    const answer = countedNow(q.purchase, q.requestId, points);
    await issueOwedCoupons(true);
    remember(answer);
  };

  const dueToContinue = () => events >= eventsPerRun || workflowInfo().continueAsNewSuggested;
  // Continue as new once no Update waits on the loop and no redemption is in flight; purchases
  // that came by signal and are still queued are carried over in `pending`. (Waiting for an
  // empty queue would starve under continuous traffic.)
  const canContinue = () => dueToContinue() && waitingFor.size === 0 && redeeming.size === 0;

  if (!ready) {
    // A program without carried state (its first run, or one restarted after a terminate or a
    // reset) starts from what the tables say, not from zero.
    const stored = await loadAccount({ customerId });
    s = {
      ...s,
      lifetimePoints: stored.lifetimePoints,
      couponsIssued: stored.couponsIssued,
      couponsRedeemed: stored.couponsRedeemed,
      version: stored.version,
    };
    // Nothing to project unless the stored projection lags the tables (a crash between the two):
    // the first change saves it anyway.
    changed = stored.projectionStale === true;
    ready = true;
    if (s.couponsIssued > 0) {
      // The last chunk again (idempotent by coupon and email id): a run terminated while its
      // issuing activity retried may have stored a coupon whose email was never enqueued.
      await issueCouponRange({
        customerId,
        email: input.customerEmail ?? null,
        from: Math.max(1, s.couponsIssued - COUPON_CHUNK + 1),
        to: s.couponsIssued,
        value: couponValue,
        issuedAt: new Date().toISOString(),
      });
    }
    // Coupons the ledger owes but a crash kept from the tables are issued now.
    await issueOwedCoupons(false);
  }

  for (;;) {
    if (
      typeof customerId === 'string' &&
      workflowInfo().typedSearchAttributes.get(CUSTOMER_ID_SEARCH_ATTRIBUTE) !== customerId &&
      patched(SEARCH_ATTRIBUTES_PATCH)
    ) {
      upsertSearchAttributes(loyaltySearchAttributes(customerId));
    }
    await condition(() => queue.length > 0 || changed || canContinue());
    // Checked first, with no await between the check and the call: an Update accepted during an
    // await would be cut off by the continue-as-new.
    if (canContinue()) {
      // The next run starts with this run's search attributes, found by `CustomerId` from its
      // first instant: Temporal 1.29 carries them when the command names none; named here so
      // no server's default decides. (A ContinueAsNew command is matched by type on replay.)
      await makeContinueAsNewFunc<typeof loyaltyProgram>({
        typedSearchAttributes: workflowInfo().typedSearchAttributes,
      })({
        ...input,
        state: { ...s, pending: queue, rejected: guard.rejected() },
      });
    }
    // Once due, answer only what Updates wait for; signalled purchases wait for the next run.
    const eligible = dueToContinue()
      ? queue.filter((q) => waitingFor.has(purchaseKey(q.purchase)))
      : queue;
    // (The patch checks keep the order in which executions before the ledger made them.)
    if (queue.length > 0 && (patched(LEDGER_PATCH) || patched(BATCHED_PURCHASES_PATCH))) {
      const batch = eligible.slice(0, MAX_BATCH);
      if (batch.length > 0) {
        await (patched(LEDGER_PATCH) ? countBatch(batch) : legacyBatch(batch));
        // Purchases queued during the await stay queued, in order.
        const done = new Set(batch);
        queue.splice(0, queue.length, ...queue.filter((q) => !done.has(q)));
        events += batch.length;
        continue;
      }
    }
    const first = eligible[0];
    if (queue.length > 0 && first) {
      await legacyOne(first);
      queue.splice(queue.indexOf(first), 1);
      events++;
      continue;
    }
    if (changed && !dueToContinue()) {
      changed = false;
      await saveAccount({
        customerId,
        balance: balance(),
        lifetimePoints: s.lifetimePoints,
        couponsIssued: s.couponsIssued,
        couponsRedeemed: s.couponsRedeemed,
        version: s.version,
      });
      continue;
    }
    if (dueToContinue()) {
      // A redemption is in flight: wait for it (or for an Update) rather than spin.
      await condition(() => redeeming.size === 0 || waitingFor.size > 0);
    }
  }
}
