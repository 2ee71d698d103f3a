import type { SubscriptionStatus } from '@invincible/astra-repo';
import { z } from 'zod';
import { isoDateTime, moneySchema } from '../schemas/common';

const count = z.number().int().min(0);

/** Every status a stored subscription can have (`pending` is the API's, before any is stored). */
export const STORED_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'paused',
  'canceled',
  'completed',
] as const satisfies readonly SubscriptionStatus[];

export const chargeDaySchema = z
  .strictObject({
    date: z.iso.date().meta({ description: 'The UTC day', example: '2026-06-01' }),
    succeeded: count.meta({ description: 'Charge attempts that succeeded that day' }),
    declined: count.meta({ description: 'Charge attempts the payment provider declined' }),
    revenue: z.array(moneySchema).meta({
      description:
        'What the succeeded charges took, one amount per currency (by currency code), none on a day without one',
    }),
  })
  .meta({ id: 'ChargeDay' });

export const overviewSchema = z
  .strictObject({
    subscriptions: z
      .strictObject({
        trialing: count,
        active: count,
        past_due: count,
        paused: count,
        canceled: count,
        completed: count,
      })
      .meta({ description: 'Subscriptions by status (of those scanned)' }),
    charges: z.strictObject({
      days: z.array(chargeDaySchema).meta({
        description:
          'The last 30 UTC days, oldest first, today last, every day present (zeros on a quiet day). A failed attempt (the provider did not answer) counts in neither.',
      }),
    }),
    coupons: z.strictObject({ issued: count, redeemed: count }).meta({
      description:
        'Coupons issued to the scanned customers (ever), and how many of them were redeemed',
    }),
    findings: z.strictObject({ open: count }).nullable().meta({
      description:
        "Open reconciliation findings: null, as reconciliation is the platform operators' (admin keys) and no account key sees it",
    }),
    scanned: z
      .strictObject({ subscriptions: count, customers: count, complete: z.boolean() })
      .meta({
        description:
          'What the figures were computed from: at most a bounded number of subscriptions and customers per request; `complete` is false when some were left out (or a ledger was too long to read whole)',
      }),
    asOf: isoDateTime.meta({ description: 'When the figures were computed' }),
  })
  .meta({
    id: 'Overview',
    description: "The account's figures, computed from the stored tables when asked",
  });

export type OverviewView = z.infer<typeof overviewSchema>;
