import type { Repository } from '@invincible/astra-repo';
import { formatMoney } from '@invincible/money';
import type { LoyaltyActivities } from '@invincible/workflows';
import type { Mailer } from '../mail/mailer';
import { guarded } from '../guarded';

export interface LoyaltyActivityDeps {
  readonly repository: Pick<Repository, 'coupons' | 'loyalty' | 'purchases'>;
  readonly mailer: Mailer;
  readonly now?: () => Date;
}

/**
 * The activities of the `loyalty` task queue (the contract is `LoyaltyActivities` in
 * libs/workflows). Each does one side effect, idempotent by a business key: the purchaseId,
 * the coupon id `<customerId>:<n>`, the email id `<couponId>:coupon`.
 */
export function createLoyaltyActivities(deps: LoyaltyActivityDeps): LoyaltyActivities {
  const now = deps.now ?? (() => new Date());
  return {
    recordProcessedPurchase: (entry) =>
      guarded(async () => {
        const { record, created } = await deps.repository.purchases.record({
          ...entry,
          processedAt: new Date(entry.processedAt),
        });
        return { created, points: record.points };
      }),

    recordProcessedPurchases: ({ customerId, processedAt, entries }) =>
      guarded(async () => {
        const at = new Date(processedAt);
        // One compare-and-set per purchaseId, all in flight at once: each is its own partition.
        const recorded = await Promise.all(
          entries.map((entry) =>
            deps.repository.purchases.record({ ...entry, customerId, processedAt: at }),
          ),
        );
        return recorded.map(({ record, created }) => ({ created, points: record.points }));
      }),

    issueCoupon: (coupon) =>
      guarded(async () => {
        await deps.repository.coupons.issue({
          id: coupon.id,
          customerId: coupon.customerId,
          value: coupon.value,
          status: 'issued',
          issuedAt: new Date(coupon.issuedAt),
          redeemedAt: null,
        });
        if (coupon.email) {
          await deps.mailer.send({
            id: `${coupon.id}:coupon`,
            customerId: coupon.customerId,
            to: coupon.email,
            template: 'coupon_issued',
            subject: `You earned a ${formatMoney(coupon.value)} coupon`,
            body: `Thank you for your loyalty! Your coupon ${coupon.id} is worth ${formatMoney(coupon.value)}.`,
          });
        }
      }),

    redeemCoupon: ({ id, customerId, at }) =>
      guarded(async () => {
        await deps.repository.coupons.redeem(id, customerId, new Date(at));
      }),

    saveAccount: ({ customerId, state }) =>
      guarded(async () => {
        await deps.repository.loyalty.save({
          customerId,
          balance: state.balance,
          lifetimePoints: state.lifetimePoints,
          couponsIssued: state.coupons.length,
          couponsRedeemed: state.coupons.filter((c) => c.status === 'redeemed').length,
          version: state.version,
          updatedAt: now(),
        });
      }),
  };
}
