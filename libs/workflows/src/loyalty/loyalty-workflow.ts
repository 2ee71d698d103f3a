import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Money } from '../billing/contract';
import {
  getPointsQuery,
  notifyPurchaseSignal,
  recordPurchaseUpdate,
  redeemCouponUpdate,
  type CouponView,
  type LoyaltyActivities,
  type LoyaltyInput,
  type LoyaltyState,
  type Purchase,
  type PurchaseResult,
  COUPON_ALREADY_REDEEMED,
  COUPON_NOT_FOUND,
  LOYALTY_KEY_PATTERN,
  exponentOf,
  purchaseProblem,
} from './contract';

const {
  recordProcessedPurchase,
  recordProcessedPurchases,
  issueCoupon,
  redeemCoupon,
  saveAccount,
} = proxyActivities<LoyaltyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const refused = (type: string, message: string) =>
  ApplicationFailure.create({ message, type, nonRetryable: true });

const DEFAULT_EARN_RATE = 100;
const DEFAULT_THRESHOLD = 10_000;
const DEFAULT_COUPON_VALUE: Money = { amountMinor: 500, currency: 'USD' };
const DEFAULT_EVENTS_PER_RUN = 500;
/** Results kept in workflow state for instant dedupe; older ids go through the ledger. */
const WINDOW = 500;
/** Queued purchases counted per loop turn, with one ledger activity for all of them. */
const MAX_BATCH = 100;
/**
 * Histories recorded before batching counted one purchase per loop turn, each with its own
 * `recordProcessedPurchase`; they take the old path on replay.
 */
const BATCHED_PURCHASES_PATCH = 'loyalty-batched-purchases';

function initialState(): LoyaltyState {
  return {
    balance: 0,
    lifetimePoints: 0,
    coupons: [],
    recent: [],
    pending: [],
    rejectedSignals: 0,
    version: 0,
  };
}

/**
 * One customer's loyalty program, forever: each purchase earns points once (by purchaseId,
 * across retries, duplicate deliveries and continue-as-new), every time the balance reaches the
 * threshold a coupon is issued exactly once and the threshold is deducted, and coupons are
 * redeemed at most once. Handlers validate and enqueue; the loop decides, in order.
 */
export async function loyaltyProgram(input: LoyaltyInput): Promise<never> {
  const earnRate = input.earnRate ?? DEFAULT_EARN_RATE;
  const threshold = input.couponThreshold ?? DEFAULT_THRESHOLD;
  const couponValue = input.couponValue ?? DEFAULT_COUPON_VALUE;
  const eventsPerRun = input.eventsPerRun ?? DEFAULT_EVENTS_PER_RUN;
  let s: LoyaltyState = input.state ?? initialState();
  const queue: Purchase[] = [...s.pending];
  const results = new Map<string, PurchaseResult>(s.recent.map((r) => [r.purchaseId, r]));
  const redeeming = new Set<string>();
  /** purchaseIds that a recordPurchase handler waits for; the loop clears them as it answers. */
  const waitingFor = new Set<string>();
  let events = 0;
  // Each run saves the projection once at its start (a continued run may carry changes).
  let changed = true;

  const update = (patch: Partial<LoyaltyState>) => {
    s = { ...s, ...patch, version: s.version + 1 };
    changed = true;
  };

  const pointsFor = (p: Purchase) =>
    Math.floor((p.total * earnRate) / 10 ** (exponentOf(p.currency) ?? 2));

  setHandler(notifyPurchaseSignal, (purchase) => {
    // A signal cannot be rejected to its sender: bad input is counted, never thrown.
    const problem = purchaseProblem(purchase);
    if (problem) {
      log.warn('notify-purchase rejected', { problem });
      update({ rejectedSignals: s.rejectedSignals + 1 });
      return;
    }
    if (!results.has(purchase.purchaseId)) queue.push(purchase);
  });

  setHandler(
    recordPurchaseUpdate,
    async (purchase: Purchase) => {
      const known = results.get(purchase.purchaseId);
      if (known) return { ...known, counted: false };
      const mine = !queue.some((q) => q.purchaseId === purchase.purchaseId);
      if (mine) queue.push(purchase);
      waitingFor.add(purchase.purchaseId);
      await condition(() => results.has(purchase.purchaseId));
      const result = results.get(purchase.purchaseId) as PurchaseResult;
      return mine ? result : { ...result, counted: false };
    },
    {
      validator: (purchase) => {
        const problem = purchaseProblem(purchase);
        if (problem) throw new Error(problem);
      },
    },
  );

  setHandler(
    redeemCouponUpdate,
    async ({ couponId }: { readonly couponId: string }) => {
      const coupon = s.coupons.find((c) => c.id === couponId);
      // Checked again here: of two concurrent redeems, the second starts after the first took it.
      if (!coupon || coupon.status !== 'issued' || redeeming.has(couponId)) {
        throw refused(COUPON_ALREADY_REDEEMED, `coupon ${couponId} is already redeemed`);
      }
      redeeming.add(couponId);
      try {
        const at = new Date().toISOString();
        await redeemCoupon({ id: couponId, customerId: input.customerId, at });
        const redeemed: CouponView = { ...coupon, status: 'redeemed', redeemedAt: at };
        update({ coupons: s.coupons.map((c) => (c.id === couponId ? redeemed : c)) });
        return redeemed;
      } catch (error) {
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
          // The repository's own guard refused it: the same answers as the validator's.
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
        redeeming.delete(couponId);
      }
    },
    {
      validator: (request) => {
        const couponId = (request as { couponId?: unknown } | null)?.couponId;
        if (typeof couponId !== 'string' || !LOYALTY_KEY_PATTERN.test(couponId))
          throw new Error('couponId must be a coupon id');
        const coupon = s.coupons.find((c) => c.id === couponId);
        if (!coupon)
          throw refused(COUPON_NOT_FOUND, `customer ${input.customerId} has no coupon ${couponId}`);
        if (coupon.status === 'redeemed' || redeeming.has(couponId))
          throw refused(COUPON_ALREADY_REDEEMED, `coupon ${couponId} is already redeemed`);
      },
    },
  );

  setHandler(getPointsQuery, () => ({
    customerId: input.customerId,
    balance: s.balance,
    lifetimePoints: s.lifetimePoints,
    couponsIssued: s.coupons.length,
    couponsRedeemed: s.coupons.filter((c) => c.status === 'redeemed').length,
    coupons: s.coupons,
    recentPurchases: s.recent.slice(-20),
    rejectedSignals: s.rejectedSignals,
  }));

  const remember = (result: PurchaseResult) => {
    results.set(result.purchaseId, result);
    waitingFor.delete(result.purchaseId);
    const recent = [...s.recent, result];
    update({ recent: recent.length > WINDOW ? recent.slice(recent.length - WINDOW) : recent });
    if (results.size > WINDOW * 2) {
      for (const id of results.keys()) {
        if (results.size <= WINDOW) break;
        if (!s.recent.some((r) => r.purchaseId === id)) results.delete(id);
      }
    }
  };

  /**
   * The coupon rule: each time `balance` reaches the threshold, one coupon `<customerId>:<n>` is
   * appended to `coupons` and the threshold deducted. Returns the balance left and the new coupons.
   */
  const crossThresholds = (balance: number, coupons: CouponView[], at: string) => {
    const issued: CouponView[] = [];
    let left = balance;
    while (left >= threshold) {
      left -= threshold;
      const coupon: CouponView = {
        id: `${input.customerId}:${coupons.length + 1}`,
        value: couponValue,
        status: 'issued',
        issuedAt: at,
        redeemedAt: null,
      };
      coupons.push(coupon);
      issued.push(coupon);
    }
    return { balance: left, issued };
  };

  /** Stores and emails each coupon, one after the other (each idempotent by its id). */
  const issueCoupons = async (coupons: readonly CouponView[]) => {
    for (const coupon of coupons) {
      await issueCoupon({
        id: coupon.id,
        customerId: input.customerId,
        email: input.customerEmail ?? null,
        value: coupon.value,
        issuedAt: coupon.issuedAt,
      });
    }
  };

  /** The pre-batching path (see BATCHED_PURCHASES_PATCH): one purchase, one ledger activity. */
  const processOne = async (purchase: Purchase) => {
    if (results.has(purchase.purchaseId)) {
      // A second delivery of a purchase already counted: its waiter already has the answer.
      waitingFor.delete(purchase.purchaseId);
      return;
    }
    const at = new Date().toISOString();
    const points = pointsFor(purchase);
    const ledger = await recordProcessedPurchase({
      purchaseId: purchase.purchaseId,
      customerId: input.customerId,
      total: { amountMinor: purchase.total, currency: purchase.currency },
      points,
      processedAt: at,
    });
    if (!ledger.created) {
      // Counted in an earlier run, beyond the window: the first result stands.
      remember({
        purchaseId: purchase.purchaseId,
        points: ledger.points,
        counted: false,
        couponsIssued: [],
        balance: s.balance,
      });
      return;
    }
    const coupons = [...s.coupons];
    const { balance, issued } = crossThresholds(s.balance + points, coupons, at);
    update({ balance, lifetimePoints: s.lifetimePoints + points, coupons });
    await issueCoupons(issued);
    remember({
      purchaseId: purchase.purchaseId,
      points,
      counted: true,
      couponsIssued: issued.map((c) => c.id),
      balance,
    });
  };

  /**
   * Counts a batch of queued purchases in queue order: one ledger activity for the batch (the
   * dedupe check beyond the window), then points, and a coupon at every threshold crossing. The
   * Updates waiting on the batch are answered once its coupons are stored and emailed.
   */
  const processBatch = async (batch: readonly Purchase[]) => {
    const fresh: Purchase[] = [];
    for (const purchase of batch) {
      if (results.has(purchase.purchaseId)) {
        // A second delivery of a purchase already counted: its waiter already has the answer.
        waitingFor.delete(purchase.purchaseId);
      } else if (!fresh.some((p) => p.purchaseId === purchase.purchaseId)) {
        fresh.push(purchase);
      }
    }
    if (fresh.length === 0) return;
    const at = new Date().toISOString();
    const ledger = await recordProcessedPurchases({
      customerId: input.customerId,
      processedAt: at,
      entries: fresh.map((p) => ({
        purchaseId: p.purchaseId,
        total: { amountMinor: p.total, currency: p.currency },
        points: pointsFor(p),
      })),
    });
    // A short answer is a bug: failing the workflow task holds the queue until it is fixed.
    if (ledger.length !== fresh.length)
      throw new Error(`ledger answered ${ledger.length} of ${fresh.length} purchases`);
    let { balance, lifetimePoints } = s;
    const coupons = [...s.coupons];
    const answers: PurchaseResult[] = [];
    const issuedNow: CouponView[] = [];
    fresh.forEach((purchase, i) => {
      const recorded = ledger[i] as { readonly created: boolean; readonly points: number };
      if (!recorded.created) {
        // Counted in an earlier run, beyond the window: the first result stands.
        answers.push({
          purchaseId: purchase.purchaseId,
          points: recorded.points,
          counted: false,
          couponsIssued: [],
          balance,
        });
        return;
      }
      lifetimePoints += recorded.points;
      const crossed = crossThresholds(balance + recorded.points, coupons, at);
      balance = crossed.balance;
      const issued = crossed.issued;
      issuedNow.push(...issued);
      answers.push({
        purchaseId: purchase.purchaseId,
        points: recorded.points,
        counted: true,
        couponsIssued: issued.map((c) => c.id),
        balance,
      });
    });
    update({ balance, lifetimePoints, coupons });
    await issueCoupons(issuedNow);
    answers.forEach(remember);
  };

  const dueToContinue = () => events >= eventsPerRun || workflowInfo().continueAsNewSuggested;
  // Continue as new once no Update waits on the loop and no redemption is in flight; purchases
  // that came by signal and are still queued are carried over in `pending`. (Waiting for an
  // empty queue would starve under continuous traffic.)
  const canContinue = () => dueToContinue() && waitingFor.size === 0 && redeeming.size === 0;

  for (;;) {
    await condition(() => queue.length > 0 || changed || canContinue());
    // Checked first, with no await between the check and the call: an Update accepted during an
    // await would be cut off by the continue-as-new.
    if (canContinue()) {
      await continueAsNew<typeof loyaltyProgram>({ ...input, state: { ...s, pending: queue } });
    }
    // Once due, answer only what Updates wait for; signalled purchases wait for the next run.
    if (queue.length > 0 && patched(BATCHED_PURCHASES_PATCH)) {
      const batch = (
        dueToContinue() ? queue.filter((p) => waitingFor.has(p.purchaseId)) : queue
      ).slice(0, MAX_BATCH);
      if (batch.length > 0) {
        await processBatch(batch);
        // Purchases queued during the await stay queued, in order.
        const done = new Set(batch);
        queue.splice(0, queue.length, ...queue.filter((p) => !done.has(p)));
        events += batch.length;
        continue;
      }
    }
    const index = dueToContinue() ? queue.findIndex((p) => waitingFor.has(p.purchaseId)) : 0;
    if (queue.length > 0 && index >= 0) {
      await processOne(queue[index] as Purchase);
      queue.splice(index, 1);
      events++;
      continue;
    }
    if (changed && !dueToContinue()) {
      changed = false;
      await saveAccount({ customerId: input.customerId, state: s });
      continue;
    }
    if (dueToContinue()) {
      // A redemption is in flight: wait for it (or for an Update) rather than spin.
      await condition(() => redeeming.size === 0 || waitingFor.size > 0);
    }
  }
}
