/**
 * A subscription's history as one list, newest first: what is due next, then each charge attempt
 * (a first attempt, or a dunning retry after a decline), the price changes the ledger shows, a
 * pause, a cancellation. Built from the charge ledger and the subscription's state, and from its
 * change history (the audit log: who paused, resumed, changed the price or canceled, and when)
 * when the key may read it; without it, the ledger and the state alone.
 */
import type { Charge, Money, Subscription, SubscriptionEvent } from '../api/types';

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
    | 'resumed'
    | 'price-change-requested'
    | 'cancel-requested'
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
  /** Who made the change (from its history), e.g. `key:key_0123…` or `env:dev`. */
  readonly actor?: string;
}

/** `key:key_1` → `by key key_1`, `customer:cus_1` → `by customer cus_1`; others as they are. */
export function byActor(actor: string): string {
  const match = /^(key|customer):(.+)$/.exec(actor);
  return match ? `by ${match[1]} ${match[2]}` : `by ${actor}`;
}

/** What each change of the history adds to the timeline (others, e.g. a creation, add nothing). */
const EVENT_ENTRIES: Readonly<Record<string, Pick<TimelineEntry, 'kind' | 'tone' | 'title'>>> = {
  paused: { kind: 'paused', tone: 'warning', title: 'Paused' },
  resumed: { kind: 'resumed', tone: 'neutral', title: 'Resumed' },
  priceChanged: { kind: 'price-change-requested', tone: 'neutral', title: 'Price changed' },
  canceled: { kind: 'cancel-requested', tone: 'danger', title: 'Cancellation requested' },
};

function eventEntry(event: SubscriptionEvent): TimelineEntry | null {
  const shape = EVENT_ENTRIES[event.action];
  if (!shape) return null;
  return {
    key: `event:${event.requestId}:${event.action}`,
    at: event.at,
    actor: event.actor,
    ...shape,
  };
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

/**
 * The entries of `subscription`, its `charges` and its change history `events` (any order),
 * newest first, upcoming on top.
 */
export function buildTimeline(
  subscription: Subscription,
  charges: readonly Charge[],
  now: Date,
  events: readonly SubscriptionEvent[] = [],
): TimelineEntry[] {
  const byTime = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const newest = (action: string) => byTime.filter((e) => e.action === action).at(-1);
  const lastResume = newest('resumed');
  // The pause in force is the newest one asked for, unless a resume came after it: the state's
  // `Paused` entry then names who paused, instead of a second entry for the same pause.
  const pauseInForce = subscription.pausedAt ? newest('paused') : undefined;
  const currentPause =
    pauseInForce && (!lastResume || Date.parse(lastResume.at) <= Date.parse(pauseInForce.at))
      ? pauseInForce
      : undefined;
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
      ...(currentPause ? { actor: currentPause.actor } : {}),
    });
  }

  const upcoming: TimelineEntry[] = [];
  const cancel = subscription.cancel;
  const lastCancel = newest('canceled');
  // A cancellation that took effect within a minute of being asked for was a "cancel now": the
  // state's `Canceled` entry names who asked. One set for the end of the period is listed as
  // asked for, at the time it was.
  const canceledAtOnce = (effective: string | null) =>
    lastCancel !== undefined &&
    (effective === null || Date.parse(effective) - Date.parse(lastCancel.at) < 60_000);
  let cancelShown: SubscriptionEvent | undefined;
  if (cancel) {
    const effective = cancel.effectiveAt;
    const ended =
      subscription.status === 'canceled' ||
      (effective !== null && Date.parse(effective) <= now.getTime());
    if (ended && canceledAtOnce(effective)) cancelShown = lastCancel;
    (ended ? past : upcoming).push({
      key: `cancel:${effective ?? 'pending'}`,
      kind: ended ? 'canceled' : 'scheduled-cancel',
      at: effective,
      tone: ended ? 'danger' : 'upcoming',
      title: ended ? 'Canceled' : 'Cancels at the end of the period',
      reason: cancel.reason,
      ...(cancelShown ? { actor: cancelShown.actor } : {}),
    });
  } else if (subscription.status === 'canceled') {
    cancelShown = lastCancel;
    past.push({
      key: 'cancel:unknown',
      kind: 'canceled',
      at: lastCancel?.at ?? null,
      tone: 'danger',
      title: 'Canceled',
      ...(lastCancel ? { actor: lastCancel.actor } : {}),
    });
  }

  for (const event of byTime) {
    if (event === currentPause || event === cancelShown) continue;
    const entry = eventEntry(event);
    if (entry) past.push(entry);
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
