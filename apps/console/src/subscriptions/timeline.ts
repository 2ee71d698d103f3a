/**
 * A subscription's history as one list, newest first: what is due next, then each charge attempt
 * (a first attempt, or a dunning retry after a decline), the price changes the ledger shows, a
 * pause, a cancellation. Built from the charge ledger and the subscription's state only: the API
 * keeps no other event log.
 */
import type { Charge, Money, Subscription } from '../api/types';

export type TimelineTone = 'success' | 'danger' | 'warning' | 'neutral' | 'upcoming';

export interface TimelineEntry {
  /** Stable across refreshes (a React key). */
  readonly key: string;
  readonly kind:
    | 'next-charge'
    | 'scheduled-price'
    | 'scheduled-cancel'
    | 'charge-succeeded'
    | 'charge-declined'
    | 'charge-failed'
    | 'retry-succeeded'
    | 'retry-declined'
    | 'retry-failed'
    | 'price-changed'
    | 'paused'
    | 'canceled';
  /** An ISO instant, or null for something that has a period but no date yet. */
  readonly at: string | null;
  readonly tone: TimelineTone;
  readonly title: string;
  readonly period?: number;
  readonly attempt?: number;
  readonly amount?: Money;
  readonly previousAmount?: Money;
  readonly failureCode?: string | null;
  readonly reason?: string | null;
}

const sameMoney = (a: Money, b: Money) =>
  a.amountMinor === b.amountMinor && a.currency === b.currency;

function chargeEntry(charge: Charge): TimelineEntry {
  const retry = charge.attempt > 1;
  const outcome = charge.outcome;
  const kind = `${retry ? 'retry' : 'charge'}-${outcome}` as const;
  const what = retry
    ? `Retry ${charge.attempt - 1} for period ${charge.period}`
    : `Period ${charge.period} charge`;
  const verb =
    outcome === 'succeeded' ? 'succeeded' : outcome === 'declined' ? 'declined' : 'failed';
  return {
    key: `charge:${charge.period}:${charge.attempt}`,
    kind,
    at: charge.occurredAt,
    tone: outcome === 'succeeded' ? 'success' : outcome === 'declined' ? 'danger' : 'warning',
    title: `${what} ${verb}`,
    period: charge.period,
    attempt: charge.attempt,
    amount: charge.amount,
    failureCode: charge.failureCode,
  };
}

/** The entries of `subscription` and its `charges` (any order), newest first, upcoming on top. */
export function buildTimeline(
  subscription: Subscription,
  charges: readonly Charge[],
  now: Date,
): TimelineEntry[] {
  const ordered = [...charges].sort((a, b) => a.period - b.period || a.attempt - b.attempt);
  // Oldest first: at one instant, a later entry reads as the newer (see the sort below).
  const past: TimelineEntry[] = [];
  let previous: Charge | undefined;
  for (const charge of ordered) {
    // A period billed at another amount than the one before it: the price changed there.
    if (charge.attempt === 1) {
      if (previous && !sameMoney(previous.amount, charge.amount)) {
        past.push({
          key: `price:${charge.period}`,
          kind: 'price-changed',
          at: charge.occurredAt,
          tone: 'neutral',
          title: `Price changed from period ${charge.period}`,
          period: charge.period,
          amount: charge.amount,
          previousAmount: previous.amount,
        });
      }
      previous = charge;
    }
    past.push(chargeEntry(charge));
  }

  if (subscription.pausedAt) {
    past.push({
      key: `paused:${subscription.pausedAt}`,
      kind: 'paused',
      at: subscription.pausedAt,
      tone: 'warning',
      title: 'Paused',
    });
  }

  const upcoming: TimelineEntry[] = [];
  const cancel = subscription.cancel;
  if (cancel) {
    const effective = cancel.effectiveAt;
    const ended =
      subscription.status === 'canceled' ||
      (effective !== null && Date.parse(effective) <= now.getTime());
    (ended ? past : upcoming).push({
      key: `cancel:${effective ?? 'pending'}`,
      kind: ended ? 'canceled' : 'scheduled-cancel',
      at: effective,
      tone: ended ? 'danger' : 'upcoming',
      title: ended ? 'Canceled' : 'Cancels at the end of the period',
      reason: cancel.reason,
    });
  } else if (subscription.status === 'canceled') {
    past.push({
      key: 'cancel:unknown',
      kind: 'canceled',
      at: null,
      tone: 'danger',
      title: 'Canceled',
    });
  }

  if (subscription.pendingPrice) {
    upcoming.push({
      key: `scheduled-price:${subscription.pendingPrice.fromPeriod}`,
      kind: 'scheduled-price',
      at: null,
      tone: 'upcoming',
      title: `New price from period ${subscription.pendingPrice.fromPeriod}`,
      period: subscription.pendingPrice.fromPeriod,
      amount: subscription.pendingPrice.price,
      previousAmount: subscription.price,
    });
  }

  const live = !['canceled', 'completed', 'paused'].includes(subscription.status);
  // Set to cancel at the end of the period: nothing is charged from then on.
  const cutOff = cancel?.effectiveAt ? Date.parse(cancel.effectiveAt) : Number.POSITIVE_INFINITY;
  if (live && subscription.nextChargeAt && Date.parse(subscription.nextChargeAt) < cutOff) {
    upcoming.push({
      key: 'next-charge',
      kind: 'next-charge',
      at: subscription.nextChargeAt,
      tone: 'upcoming',
      title: subscription.status === 'past_due' ? 'Next retry' : 'Next charge',
      amount: subscription.price,
    });
  }

  const time = (entry: TimelineEntry) =>
    entry.at === null ? Number.POSITIVE_INFINITY : Date.parse(entry.at);
  // Newest first; at one instant, the later-built entry (a retry after its decline) first.
  const byTimeDesc = (a: [TimelineEntry, number], b: [TimelineEntry, number]) =>
    time(b[0]) - time(a[0]) || b[1] - a[1];
  const sort = (entries: TimelineEntry[]) =>
    entries
      .map((entry, index): [TimelineEntry, number] => [entry, index])
      .sort(byTimeDesc)
      .map(([entry]) => entry);
  return [...sort(upcoming), ...sort(past)];
}
