import {
  localId,
  NotFoundError,
  type ProcessedPurchase,
  type Repository,
} from '@invincible/astra-repo';
import { formatMoney, type Money } from '@invincible/money';
import {
  type CouponView,
  type LedgerEntryResult,
  type LoyaltyActivities,
} from '@invincible/workflows/loyalty/contract';
import { answerBatch, couponId } from '@invincible/workflows/loyalty/rules';
import type { Mailer } from '../mail/mailer';
import { guarded } from '../guarded';
import { NO_LOYALTY_METRICS, type LoyaltyMetrics } from '../metrics/business-metrics';

export interface LoyaltyActivityDeps {
  readonly repository: Pick<Repository, 'coupons' | 'loyalty' | 'purchases'>;
  readonly mailer: Mailer;
  /** Counts purchases, points, coupons and emails once each (`createLoyaltyMetrics`); default: nothing. */
  readonly metrics?: LoyaltyMetrics;
  readonly now?: () => Date;
}

/** How many ledger rows of a batch are written at once (each is its own lightweight transaction). */
const LEDGER_WRITES_IN_FLIGHT = 16;

async function inChunks<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>) {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  }
  return out;
}

/**
 * The activities of the `loyalty` task queue (the contract is `LoyaltyActivities` in
 * libs/workflows). Each does one side effect, idempotent by a business key — the ledger row
 * (customer, source, purchaseId), the coupon id `<customerId>:<n>`, the email `<couponId>:coupon`,
 * the redemption's request id — and each tells its own earlier attempt from someone else's.
 */
export function createLoyaltyActivities(deps: LoyaltyActivityDeps): LoyaltyActivities {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_LOYALTY_METRICS;
  const { purchases, coupons } = deps.repository;

  /** Writes a ledger row; counted only when this call wrote it (never by a retry that finds it). */
  const record = async (row: ProcessedPurchase) => {
    const stored = await purchases.record(row);
    if (stored.created) metrics.purchaseCounted(row);
    return stored;
  };

  const issueOne = async (coupon: {
    readonly id: string;
    readonly customerId: string;
    readonly email: string | null;
    readonly value: Money;
    readonly issuedAt: string;
  }) => {
    const issued = await coupons.issue({
      id: coupon.id,
      customerId: coupon.customerId,
      value: coupon.value,
      status: 'issued',
      issuedAt: new Date(coupon.issuedAt),
      redeemedAt: null,
      redeemedBy: null,
    });
    if (issued.created) metrics.couponIssued();
    if (coupon.email) {
      const sent = await deps.mailer.send({
        id: `${coupon.id}:coupon`,
        customerId: coupon.customerId,
        to: coupon.email,
        template: 'coupon_issued',
        subject: `You earned a ${formatMoney(coupon.value)} coupon`,
        body: `Thank you for your loyalty! Your coupon ${localId(coupon.id)} is worth ${formatMoney(coupon.value)}.`,
      });
      if (sent.created) metrics.emailQueued('coupon_issued');
    }
  };

  /** Ledger rows written before the ledger kept who wrote them (legacy activities): one token per batch instant. */
  const legacyRecord = async (
    customerId: string,
    processedAt: string,
    entry: { readonly purchaseId: string; readonly total: Money; readonly points: number },
  ) => {
    const countedBy = `legacy:${processedAt}`;
    const stored = await record({
      customerId,
      source: 'purchase',
      purchaseId: entry.purchaseId,
      total: entry.total,
      points: entry.points,
      processedAt: new Date(processedAt),
      countedBy,
      requestId: null,
      balanceAfter: 0,
      couponsIssued: [],
    });
    return { created: stored.record.countedBy === countedBy, points: stored.record.points };
  };

  return {
    countPurchases: ({
      customerId,
      countedBy,
      processedAt,
      couponThreshold,
      lifetimePoints,
      entries,
    }) =>
      guarded(async () => {
        const stored = new Map(
          (
            await purchases.find(
              customerId,
              entries.map(({ source, purchaseId }) => ({ source, purchaseId })),
            )
          ).map((row) => [`${row.source}:${row.purchaseId}`, row]),
        );
        const rowOf = (e: (typeof entries)[number]) => stored.get(`${e.source}:${e.purchaseId}`);
        // Counted by this batch unless another writer's row is there: a row with this batch's
        // token is an earlier attempt of this very activity whose answer was lost.
        const counts = entries.map((e) => {
          const row = rowOf(e);
          return { points: e.points, counted: !row || row.countedBy === countedBy };
        });
        const { answers } = answerBatch(customerId, lifetimePoints, couponThreshold, counts);
        const at = new Date(processedAt);
        const written = await inChunks(
          entries.map((e, i) => ({ e, i })),
          LEDGER_WRITES_IN_FLIGHT,
          async ({ e, i }): Promise<ProcessedPurchase | undefined> => {
            const answer = answers[i];
            if (!counts[i]?.counted || rowOf(e) || !answer) return rowOf(e);
            const stored = await record({
              customerId,
              source: e.source,
              purchaseId: e.purchaseId,
              total: e.total,
              points: e.points,
              processedAt: at,
              countedBy,
              requestId: e.requestId,
              balanceAfter: answer.balanceAfter,
              couponsIssued: answer.couponsIssued,
            });
            return stored.record;
          },
        );
        return written.map((row): LedgerEntryResult => {
          if (!row || row.countedBy === countedBy) return { counted: true };
          // Someone else counted it (before this batch, or racing it): its first answer.
          return {
            counted: false,
            points: row.points,
            requestId: row.requestId,
            balanceAfter: row.balanceAfter,
            couponsIssued: row.couponsIssued,
          };
        });
      }),

    issueCoupons: ({ customerId, email, from, to, value, issuedAt }) =>
      guarded(async () => {
        const ids = [];
        for (let n = from; n <= to; n++) ids.push(couponId(customerId, n));
        await inChunks(ids, LEDGER_WRITES_IN_FLIGHT, (id) =>
          issueOne({ id, customerId, email, value, issuedAt }),
        );
      }),

    loadAccount: ({ customerId }) =>
      guarded(async () => {
        const [totals, issued, account] = await Promise.all([
          purchases.totals(customerId),
          coupons.countByCustomer(customerId),
          deps.repository.loyalty.get(customerId).catch((error: unknown) => {
            if (error instanceof NotFoundError) return null;
            throw error;
          }),
        ]);
        return {
          lifetimePoints: totals.points,
          couponsIssued: issued,
          couponsRedeemed: account?.couponsRedeemed ?? 0,
          version: account?.version ?? 0,
          projectionStale:
            account !== null &&
            (account.lifetimePoints !== totals.points || account.couponsIssued !== issued),
        };
      }),

    redeemCoupon: ({ id, customerId, at, requestId }) =>
      guarded(async (): Promise<CouponView> => {
        const coupon = await coupons.redeem(
          id,
          customerId,
          new Date(at),
          requestId ?? `redeem:${id}`,
        );
        return {
          id: coupon.id,
          value: coupon.value,
          status: coupon.status,
          issuedAt: coupon.issuedAt.toISOString(),
          redeemedAt: coupon.redeemedAt?.toISOString() ?? null,
        };
      }),

    saveAccount: (account) =>
      guarded(async () => {
        // An attempt scheduled before the ledger passed the whole workflow state.
        const legacy = account as unknown as {
          customerId: string;
          state?: {
            balance: number;
            lifetimePoints: number;
            coupons: readonly { status: string }[];
            version: number;
          };
        };
        const a = legacy.state
          ? {
              customerId: legacy.customerId,
              balance: legacy.state.balance,
              lifetimePoints: legacy.state.lifetimePoints,
              couponsIssued: legacy.state.coupons.length,
              couponsRedeemed: legacy.state.coupons.filter((c) => c.status === 'redeemed').length,
              version: legacy.state.version,
            }
          : account;
        await deps.repository.loyalty.save({
          customerId: a.customerId,
          balance: a.balance,
          lifetimePoints: a.lifetimePoints,
          couponsIssued: a.couponsIssued,
          couponsRedeemed: a.couponsRedeemed,
          version: a.version,
          updatedAt: now(),
        });
      }),

    recordProcessedPurchase: (entry) =>
      guarded(() => legacyRecord(entry.customerId, entry.processedAt, entry)),

    recordProcessedPurchases: ({ customerId, processedAt, entries }) =>
      guarded(() =>
        inChunks(entries, LEDGER_WRITES_IN_FLIGHT, (entry) =>
          legacyRecord(customerId, processedAt, entry),
        ),
      ),

    issueCoupon: (coupon) => guarded(() => issueOne(coupon)),
  };
}
