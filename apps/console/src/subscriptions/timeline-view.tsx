import type { Charge, Subscription, SubscriptionEvent } from '../api/types';
import { formatMoney } from '../format/money';
import { formatInstant, relativeTime } from '../format/time';
import { buildTimeline, byActor, type TimelineEntry } from './timeline';

function describe(entry: TimelineEntry): string | null {
  switch (entry.kind) {
    case 'charge-succeeded':
    case 'retry-succeeded':
      return entry.amount ? formatMoney(entry.amount) : null;
    case 'charge-declined':
    case 'retry-declined':
    case 'charge-failed':
    case 'retry-failed':
      return [
        entry.amount ? formatMoney(entry.amount) : null,
        entry.failureCode ? `reason: ${entry.failureCode.replace(/_/g, ' ')}` : null,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'price-changed':
    case 'scheduled-price':
      return entry.amount && entry.previousAmount
        ? `${formatMoney(entry.previousAmount)} → ${formatMoney(entry.amount)}`
        : null;
    case 'canceled':
    case 'scheduled-cancel':
      return entry.reason ? `Reason: ${entry.reason}` : null;
    case 'next-charge':
      return entry.amount ? formatMoney(entry.amount) : null;
    case 'paused':
      return 'Periods inside the pause are not billed';
    case 'resumed':
      return 'Billing resumes at the first billing date after it';
    case 'price-change-requested':
      return 'From the next period';
    case 'cancel-requested':
      return null;
  }
}

/** The subscription's history, newest first, as an ordered list (its order is its meaning). */
export function Timeline({
  subscription,
  charges,
  events,
  now,
}: {
  subscription: Subscription;
  charges: readonly Charge[];
  /** The change history; empty when the key may not read it. */
  events?: readonly SubscriptionEvent[];
  now: Date;
}) {
  const entries = buildTimeline(subscription, charges, now, events);
  if (entries.length === 0)
    return <p className="muted">Nothing has happened yet: the first charge is on its way.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((entry) => {
        const detail = describe(entry);
        return (
          <li
            key={entry.key}
            className={`timeline-entry tone-${entry.tone}`}
            data-kind={entry.kind}
          >
            <span className="timeline-dot" aria-hidden="true" />
            <div>
              <p className="timeline-title">{entry.title}</p>
              {detail && <p className="timeline-detail">{detail}</p>}
              {entry.actor && <p className="timeline-detail">{byActor(entry.actor)}</p>}
              {entry.at && (
                <p className="timeline-time">
                  <time dateTime={entry.at}>{formatInstant(entry.at)}</time>
                  <span className="muted"> · {relativeTime(entry.at, now)}</span>
                </p>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
