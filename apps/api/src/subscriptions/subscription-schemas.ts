import {
  localId,
  type AuditEvent,
  type ChargeEntry,
  type SubscriptionProjection,
} from '@invincible/astra-repo';
import { subscriptionWorkflowId, type SubscriptionDetails } from '@invincible/workflows';
import { z } from 'zod';
import { actorView } from '../access/access-schemas';
import {
  customerIdSchema,
  isoDateTime,
  moneySchema,
  subscriptionIdSchema,
  timeZoneSchema,
} from '../schemas/common';

/** The billing interval units, shortest first. */
export const INTERVAL_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type IntervalUnitName = (typeof INTERVAL_UNITS)[number];

const intervalSchema = z
  .strictObject({
    unit: z.enum(INTERVAL_UNITS),
    count: z.number().int().min(1).max(1_000),
  })
  .meta({
    id: 'Interval',
    description: 'The billing period: calendar-correct (1 month from Jan 31 is Feb 28 or 29)',
  });

export const createSubscriptionSchema = z
  .strictObject({
    customerId: customerIdSchema,
    paymentMethod: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a payment method id of the gateway')
      .meta({ example: 'pm_card_visa' }),
    price: moneySchema,
    interval: intervalSchema,
    startAt: isoDateTime.optional().meta({ description: 'Default: now' }),
    timeZone: timeZoneSchema
      .optional()
      .meta({ description: 'Calendar of the billing dates; default UTC' }),
    trialDays: z.number().int().min(0).max(730).optional(),
    maxPeriods: z.number().int().min(1).max(10_000).optional(),
  })
  .meta({ id: 'CreateSubscription' });

export const subscriptionStatusSchema = z.enum([
  'pending',
  'trialing',
  'active',
  'past_due',
  'paused',
  'canceled',
  'completed',
]);

export const subscriptionSchema = z
  .strictObject({
    id: subscriptionIdSchema,
    customerId: customerIdSchema,
    status: subscriptionStatusSchema.meta({
      description: '`pending` until a billing worker has picked the subscription up',
    }),
    price: moneySchema,
    interval: intervalSchema,
    timeZone: z.string(),
    nextChargeAt: isoDateTime.nullable(),
    periodsBilled: z.number().int(),
    pendingPrice: z
      .strictObject({ price: moneySchema, fromPeriod: z.number().int() })
      .nullable()
      .meta({ description: 'A price change waiting for its first period' }),
    cancel: z
      .strictObject({ effectiveAt: isoDateTime.nullable(), reason: z.string().nullable() })
      .nullable(),
    pausedAt: isoDateTime.nullable(),
    source: z.enum(['workflow', 'projection', 'request']).meta({
      description:
        '`workflow`: live state; `projection`: the stored copy of an ended subscription; `request`: not started by a worker yet',
    }),
    workflowId: z.string().meta({
      description: "The subscription's workflow id in Temporal (its Web UI, `temporal workflow`)",
    }),
  })
  .meta({ id: 'Subscription' });

export type SubscriptionView = z.infer<typeof subscriptionSchema>;

export const subscriptionParamsSchema = z.strictObject({ subscriptionId: subscriptionIdSchema });

export const cancelSchema = z
  .strictObject({
    mode: z.enum(['now', 'at_period_end']).default('now'),
    reason: z.string().max(200).optional(),
  })
  .meta({ id: 'CancelSubscription' });

export const cancelResultSchema = z
  .strictObject({ subscriptionId: subscriptionIdSchema, effectiveAt: isoDateTime.nullable() })
  .meta({ id: 'CancelResult' });

export const changePriceSchema = z.strictObject({ price: moneySchema }).meta({ id: 'ChangePrice' });

export const changePriceResultSchema = z
  .strictObject({
    subscriptionId: subscriptionIdSchema,
    fromPeriod: z.number().int().meta({ description: 'The first period billed at the new price' }),
  })
  .meta({ id: 'ChangePriceResult' });

export const chargeSchema = z
  .strictObject({
    period: z.number().int(),
    attempt: z.number().int(),
    amount: moneySchema,
    outcome: z.enum(['succeeded', 'declined', 'failed']),
    providerRef: z.string().nullable(),
    failureCode: z.string().nullable(),
    occurredAt: isoDateTime,
  })
  .meta({ id: 'Charge' });

/** The operations of a subscription's history, as its timeline names them. */
const EVENT_ACTIONS: Readonly<Record<string, string>> = {
  createSubscription: 'created',
  pauseSubscription: 'paused',
  resumeSubscription: 'resumed',
  changeSubscriptionPrice: 'priceChanged',
  cancelSubscription: 'canceled',
};

export const subscriptionEventSchema = z
  .strictObject({
    at: isoDateTime.meta({ description: 'When the change was answered' }),
    action: z.string().meta({
      description:
        '`created`, `paused`, `resumed`, `priceChanged` or `canceled`; any other operation by its operationId',
    }),
    actor: z
      .string()
      .meta({ description: '`key:<keyId>`, `env:<name>`, or `customer:<customerId>`' }),
    requestId: z.string(),
    status: z.number().int().meta({ description: 'The HTTP status it was answered with (2xx)' }),
  })
  .meta({ id: 'SubscriptionEvent' });

/** An audit event about a subscription, as its history shows it. */
export function subscriptionEventView(e: AuditEvent): z.infer<typeof subscriptionEventSchema> {
  return {
    at: e.at.toISOString(),
    action: EVENT_ACTIONS[e.action] ?? e.action,
    actor: actorView(e.actor),
    requestId: e.requestId,
    status: e.status,
  };
}

const money = (m: { amountMinor: number; currency: string }) => ({
  amountMinor: m.amountMinor,
  currency: m.currency,
});

/** The live view, from the workflow's `details` query. */
export function viewFromDetails(d: SubscriptionDetails): SubscriptionView {
  const s = d.state;
  return {
    id: localId(d.subscriptionId),
    customerId: localId(d.customerId),
    status: s.status,
    price: money(s.price),
    interval: { unit: d.interval.unit, count: d.interval.count },
    timeZone: d.timeZone,
    nextChargeAt: s.nextChargeAt,
    periodsBilled: s.periodsBilled,
    pendingPrice: s.pendingPrice
      ? { price: money(s.pendingPrice.price), fromPeriod: s.pendingPrice.fromPeriod }
      : null,
    cancel: s.cancel ? { effectiveAt: s.cancel.effectiveAt, reason: s.cancel.reason } : null,
    pausedAt: s.pausedAt,
    source: 'workflow',
    workflowId: subscriptionWorkflowId(d.subscriptionId),
  };
}

/** The stored copy, for a subscription whose workflow has ended. */
export function viewFromProjection(p: SubscriptionProjection): SubscriptionView {
  return {
    id: localId(p.id),
    customerId: localId(p.customerId),
    status: p.status,
    price: money(p.price),
    interval: { unit: p.interval.unit, count: p.interval.count },
    timeZone: p.timeZone,
    nextChargeAt: p.nextChargeAt?.toISOString() ?? null,
    periodsBilled: p.periodsBilled,
    pendingPrice: null,
    cancel:
      p.canceledAt || p.cancelEffectiveAt
        ? { effectiveAt: p.cancelEffectiveAt?.toISOString() ?? null, reason: p.cancelReason }
        : null,
    pausedAt: p.pausedAt?.toISOString() ?? null,
    source: 'projection',
    workflowId: subscriptionWorkflowId(p.id),
  };
}

export function chargeView(c: ChargeEntry): z.infer<typeof chargeSchema> {
  return {
    period: c.period,
    attempt: c.attempt,
    amount: money(c.amount),
    outcome: c.outcome,
    providerRef: c.providerRef,
    failureCode: c.failureCode,
    occurredAt: c.occurredAt.toISOString(),
  };
}
