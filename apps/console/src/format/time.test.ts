import { formatDay, formatInstant as format, formatInterval, relativeTime } from './time';

/** ICU separates with no-break spaces (U+00A0, U+202F), which vary between versions. */
const formatInstant = (iso: string, zone: string, locale?: string) =>
  format(iso, zone, locale).replace(/\s/g, ' ');

describe('time formatting', () => {
  const instant = '2026-12-02T13:03:05Z';

  it('shows one instant in the subscription’s zone and in another, with the zone named', () => {
    expect(formatInstant(instant, 'Europe/Paris', 'en-US')).toBe(
      'Wed, Dec 2, 2026, 2:03:05 PM GMT+1',
    );
    expect(formatInstant(instant, 'America/New_York', 'en-US')).toBe(
      'Wed, Dec 2, 2026, 8:03:05 AM EST',
    );
    expect(formatInstant(instant, 'UTC', 'en-US')).toBe('Wed, Dec 2, 2026, 1:03:05 PM UTC');
  });

  it('crosses a date line as the zone does', () => {
    expect(formatInstant('2026-12-31T23:30:00Z', 'Asia/Tokyo', 'en-US')).toBe(
      'Fri, Jan 1, 2027, 8:30:00 AM GMT+9',
    );
  });

  it('falls back to the viewer’s zone for a zone the runtime does not know, never throws', () => {
    expect(() => formatInstant(instant, 'Mars/Olympus_Mons', 'en-US')).not.toThrow();
    expect(formatInstant('not a date', 'UTC')).toBe('not a date');
  });

  it('says how far away an instant is', () => {
    const now = new Date('2026-12-02T13:03:00Z');
    expect(relativeTime(instant, now, 'en-US')).toBe('in 5 seconds');
    expect(relativeTime('2026-12-02T12:58:00Z', now, 'en-US')).toBe('5 minutes ago');
    expect(relativeTime('2026-12-02T13:03:00Z', now, 'en-US')).toBe('now');
  });

  it('puts intervals and days in words', () => {
    expect(formatInterval({ unit: 'second', count: 4 })).toBe('every 4 seconds');
    expect(formatInterval({ unit: 'month', count: 1 })).toBe('every month');
    expect(formatDay('2026-06-01', 'en-US')).toBe('Jun 1');
  });
});
