/** Instants as people read them: in a given time zone (the subscription's, or the viewer's). */

/** The viewer's IANA time zone, as the browser knows it. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * `2026-12-02T13:03:05Z` in `Europe/Paris` → `Wed, Dec 2, 2026, 2:03:05 PM GMT+1` (en-US): with
 * seconds (a test subscription bills every few seconds) and the zone's name, so two renderings of
 * one instant in two zones are never mistaken for two instants.
 */
export function formatInstant(iso: string, timeZone?: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(locale, {
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
      ...(timeZone ? { timeZone } : {}),
    }).format(date);
  } catch {
    // A zone this browser does not know: the instant in the viewer's zone rather than nothing.
    return formatInstant(iso, undefined, locale);
  }
}

/** A short date and time in the viewer's zone, for tables: `Dec 2, 2:03:05 PM`. */
export function formatShort(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  }).format(date);
}

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** `in 4 seconds`, `3 minutes ago`, `now`: the largest unit that fits. */
export function relativeTime(iso: string, now: Date, locale?: string): string {
  const delta = Date.parse(iso) - now.getTime();
  if (Number.isNaN(delta)) return '';
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size) return format.format(Math.trunc(delta / size), unit);
  }
  return format.format(0, 'second');
}

/** A billing interval in words: `every 4 seconds`, `every month`, `every 2 weeks`. */
export function formatInterval(interval: {
  readonly unit: string;
  readonly count: number;
}): string {
  return interval.count === 1
    ? `every ${interval.unit}`
    : `every ${interval.count} ${interval.unit}s`;
}

/** `2026-12-02` (a calendar day, no zone) → `Dec 2`. */
export function formatDay(day: string, locale?: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(date);
}
