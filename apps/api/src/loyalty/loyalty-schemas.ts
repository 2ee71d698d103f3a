import {
  localId,
  type Coupon,
  type OutboxEmail,
  type ProcessedPurchase,
} from '@invincible/astra-repo';
import {
  loyaltyWorkflowId,
  type CouponView,
  type PointsView,
  type PurchaseResult,
} from '@invincible/workflows';
import { z } from 'zod';
import {
  couponIdSchema,
  customerIdSchema,
  isoDateTime,
  moneySchema,
  purchaseIdSchema,
} from '../schemas/common';

export const recordPurchaseSchema = z
  .strictObject({
    purchaseId: purchaseIdSchema,
    total: z
      .number()
      .int('whole minor units (cents), never fractions')
      .positive('a positive total')
      .max(Number.MAX_SAFE_INTEGER)
      .meta({ description: 'Integer minor units of `currency`', example: 1250 }),
    currency: moneySchema.shape.currency,
    occurredAt: isoDateTime.optional().meta({ description: 'Default: now' }),
  })
  .meta({ id: 'RecordPurchase' });

export const purchaseResultSchema = z
  .strictObject({
    purchaseId: z.string(),
    points: z.number().int(),
    counted: z.boolean().meta({ description: 'False when this purchaseId was counted before' }),
    couponsIssued: z.array(z.string()),
    balance: z.number().int(),
  })
  .meta({ id: 'PurchaseResult' });

export const purchaseSchema = z
  .strictObject({
    purchaseId: z.string().meta({
      description:
        'Your purchaseId (source `purchase`), or the charge it awards points for (source `charge`: `<subscriptionId>:<period>:<attempt>`)',
    }),
    amount: moneySchema,
    points: z.number().int(),
    countedAt: isoDateTime.meta({ description: 'When the loyalty program counted it' }),
    source: z.enum(['purchase', 'charge']).meta({
      description:
        '`purchase`: recorded through this API (or the notify-purchase signal); `charge`: a subscription charge that succeeded',
    }),
  })
  .meta({ id: 'Purchase', description: 'One counted purchase of the points ledger' });

export const couponSchema = z
  .strictObject({
    id: couponIdSchema,
    value: moneySchema,
    status: z.enum(['issued', 'redeemed']),
    issuedAt: isoDateTime,
    redeemedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'Coupon' });

export const loyaltySchema = z
  .strictObject({
    customerId: customerIdSchema,
    balance: z.number().int(),
    lifetimePoints: z.number().int(),
    couponsIssued: z.number().int(),
    couponsRedeemed: z.number().int(),
    recentPurchases: z.array(purchaseResultSchema),
    workflowId: z.string().meta({
      description:
        "The customer's loyalty program in Temporal (its Web UI, `temporal workflow`); it starts with the first purchase",
    }),
  })
  .meta({ id: 'LoyaltyBalance' });

export const emailSchema = z
  .strictObject({
    id: z.string(),
    to: z.string(),
    template: z.string(),
    subject: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    createdAt: isoDateTime,
    sentAt: isoDateTime.nullable(),
  })
  .meta({ id: 'Email' });

export const couponParamsSchema = z.strictObject({
  customerId: customerIdSchema,
  couponId: couponIdSchema,
});

export function purchaseResultView(r: PurchaseResult): z.infer<typeof purchaseResultSchema> {
  return {
    purchaseId: r.purchaseId,
    points: r.points,
    counted: r.counted,
    couponsIssued: r.couponsIssued.map(localId),
    balance: r.balance,
  };
}

export function loyaltyView(p: PointsView): z.infer<typeof loyaltySchema> {
  return {
    customerId: localId(p.customerId),
    balance: p.balance,
    lifetimePoints: p.lifetimePoints,
    couponsIssued: p.couponsIssued,
    couponsRedeemed: p.couponsRedeemed,
    recentPurchases: p.recentPurchases.map(purchaseResultView),
    workflowId: loyaltyWorkflowId(p.customerId),
  };
}

export function purchaseView(p: ProcessedPurchase): z.infer<typeof purchaseSchema> {
  return {
    purchaseId: localId(p.purchaseId),
    amount: { amountMinor: p.total.amountMinor, currency: p.total.currency },
    points: p.points,
    countedAt: p.processedAt.toISOString(),
    source: p.source,
  };
}

export function couponView(c: Coupon | CouponView): z.infer<typeof couponSchema> {
  const iso = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString());
  return {
    id: localId(c.id),
    value: { amountMinor: c.value.amountMinor, currency: c.value.currency },
    status: c.status,
    issuedAt: iso(c.issuedAt),
    redeemedAt: c.redeemedAt === null ? null : iso(c.redeemedAt),
  };
}

export function emailView(e: OutboxEmail): z.infer<typeof emailSchema> {
  return {
    id: localId(e.id),
    to: e.to,
    template: e.template,
    subject: e.subject,
    status: e.status,
    createdAt: e.createdAt.toISOString(),
    sentAt: e.sentAt?.toISOString() ?? null,
  };
}
