import fc from 'fast-check';
import {
  chargeAt,
  instantOf,
  isTimeZone,
  localDateTime,
  type BillingSchedule,
  type IntervalUnit,
} from './calendar';

const schedule = (
  anchor: string,
  timeZone: string,
  unit: IntervalUnit,
  count = 1,
): BillingSchedule => ({
  anchorAt: new Date(anchor),
  timeZone,
  interval: { unit, count },
});
const dates = (s: BillingSchedule, periods: number) =>
  Array.from({ length: periods }, (_, i) => chargeAt(s, i + 1).toISOString());

describe('chargeAt: months clamp to the month end and never drift', () => {
  it('a Jan 31 anchor bills on the last day of shorter months, and on the 31st again after', () => {
    expect(dates(schedule('2026-01-31T09:00:00Z', 'UTC', 'month'), 13)).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-02-28T09:00:00.000Z',
      '2026-03-31T09:00:00.000Z',
      '2026-04-30T09:00:00.000Z',
      '2026-05-31T09:00:00.000Z',
      '2026-06-30T09:00:00.000Z',
      '2026-07-31T09:00:00.000Z',
      '2026-08-31T09:00:00.000Z',
      '2026-09-30T09:00:00.000Z',
      '2026-10-31T09:00:00.000Z',
      '2026-11-30T09:00:00.000Z',
      '2026-12-31T09:00:00.000Z',
      '2027-01-31T09:00:00.000Z',
    ]);
  });

  it('uses Feb 29 in leap years', () => {
    expect(chargeAt(schedule('2028-01-31T00:00:00Z', 'UTC', 'month'), 2).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
  });

  it('keeps local wall time across DST in the subscription time zone', () => {
    // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer (DST from 2026-03-29).
    expect(dates(schedule('2026-01-15T08:00:00Z', 'Europe/Paris', 'month'), 4)).toEqual([
      '2026-01-15T08:00:00.000Z',
      '2026-02-15T08:00:00.000Z',
      '2026-03-15T08:00:00.000Z',
      '2026-04-15T07:00:00.000Z',
    ]);
  });

  it('computes the month-end in the local calendar, not in UTC', () => {
    // Jan 31, 23:30 in New York is Feb 1 in UTC: the anchor day is still the 31st.
    const ny = schedule('2026-02-01T04:30:00Z', 'America/New_York', 'month');
    expect(localDateTime(chargeAt(ny, 2), 'America/New_York')).toMatchObject({
      month: 2,
      day: 28,
      hour: 23,
      minute: 30,
    });
    expect(localDateTime(chargeAt(ny, 3), 'America/New_York')).toMatchObject({
      month: 3,
      day: 31,
      hour: 23,
      minute: 30,
    });
  });

  it('counts months in multiples', () => {
    expect(dates(schedule('2026-08-31T12:00:00Z', 'UTC', 'month', 3), 3)).toEqual([
      '2026-08-31T12:00:00.000Z',
      '2026-11-30T12:00:00.000Z',
      '2027-02-28T12:00:00.000Z',
    ]);
  });
});

describe('chargeAt: days, weeks and years', () => {
  it('weekly is the same weekday and local time, across a DST change', () => {
    expect(dates(schedule('2026-03-20T09:00:00Z', 'Europe/London', 'week'), 3)).toEqual([
      '2026-03-20T09:00:00.000Z',
      '2026-03-27T09:00:00.000Z',
      '2026-04-03T08:00:00.000Z', // BST from 2026-03-29: 09:00 local is 08:00Z
    ]);
  });

  it('yearly from Feb 29 bills Feb 28 in common years and Feb 29 again in leap years', () => {
    expect(dates(schedule('2028-02-29T10:00:00Z', 'UTC', 'year'), 5)).toEqual([
      '2028-02-29T10:00:00.000Z',
      '2029-02-28T10:00:00.000Z',
      '2030-02-28T10:00:00.000Z',
      '2031-02-28T10:00:00.000Z',
      '2032-02-29T10:00:00.000Z',
    ]);
  });

  it('daily at a local time that does not exist on the spring-forward day moves forward by the gap', () => {
    // Paris skips 02:00–03:00 on 2026-03-29: 02:30 that day is 03:30 local (01:30Z).
    const s = schedule('2026-03-28T01:30:00Z', 'Europe/Paris', 'day'); // 02:30 local
    expect(dates(s, 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('an ambiguous fall-back local time is its first occurrence', () => {
    // New York repeats 01:00–02:00 on 2026-11-01; 01:30 first occurs at 05:30Z (EDT).
    expect(
      instantOf(
        { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, millisecond: 0 },
        'America/New_York',
      ).toISOString(),
    ).toBe('2026-11-01T05:30:00.000Z');
  });

  it('rejects nonsense periods and intervals', () => {
    const s = schedule('2026-01-01T00:00:00Z', 'UTC', 'month');
    expect(() => chargeAt(s, 0)).toThrow(RangeError);
    expect(() => chargeAt(s, 1.5)).toThrow(RangeError);
    expect(() => chargeAt({ ...s, interval: { unit: 'month', count: 0 } }, 2)).toThrow(RangeError);
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});

describe('chargeAt: properties', () => {
  const zones = fc.constantFrom(
    'UTC',
    'Europe/Paris',
    'America/New_York',
    'Australia/Sydney',
    'Asia/Kolkata',
    'America/Sao_Paulo',
  );
  const units = fc.constantFrom<IntervalUnit>('day', 'week', 'month', 'year');
  const anchors = fc.date({
    min: new Date('2000-01-01T00:00:00Z'),
    max: new Date('2060-01-01T00:00:00Z'),
    noInvalidDate: true,
  });
  const schedules = fc.record({
    anchorAt: anchors,
    timeZone: zones,
    interval: fc.record({ unit: units, count: fc.integer({ min: 1, max: 6 }) }),
  });

  it('charge dates strictly increase: nothing doubles, nothing is skipped', () => {
    fc.assert(
      fc.property(
        schedules,
        fc.integer({ min: 1, max: 120 }),
        (s, n) => chargeAt(s, n + 1).getTime() > chargeAt(s, n).getTime(),
      ),
      { numRuns: 300 },
    );
  });

  it('monthly charges fall on the anchor day, or the last day of a shorter month', () => {
    fc.assert(
      fc.property(anchors, zones, fc.integer({ min: 1, max: 240 }), (anchorAt, timeZone, n) => {
        const s: BillingSchedule = { anchorAt, timeZone, interval: { unit: 'month', count: 1 } };
        const anchorDay = localDateTime(anchorAt, timeZone).day;
        const local = localDateTime(chargeAt(s, n), timeZone);
        const lastDay = new Date(Date.UTC(local.year, local.month, 0)).getUTCDate();
        return local.day === Math.min(anchorDay, lastDay);
      }),
      { numRuns: 2_000 },
    );
  });

  it('in UTC, days and weeks are exact multiples of 24 h', () => {
    fc.assert(
      fc.property(
        anchors,
        fc.constantFrom<IntervalUnit>('day', 'week'),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 500 }),
        (anchorAt, unit, count, n) => {
          const s: BillingSchedule = { anchorAt, timeZone: 'UTC', interval: { unit, count } };
          const step = (unit === 'day' ? 1 : 7) * count * 86_400_000;
          return chargeAt(s, n).getTime() - anchorAt.getTime() === (n - 1) * step;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is a pure function of its inputs: computing period n directly equals computing it again later', () => {
    fc.assert(
      fc.property(
        schedules,
        fc.integer({ min: 1, max: 60 }),
        (s, n) =>
          chargeAt(s, n).getTime() ===
          chargeAt({ ...s, anchorAt: new Date(s.anchorAt) }, n).getTime(),
      ),
      { numRuns: 100 },
    );
  });

  it('seconds, minutes and hours are exact durations from the anchor', () => {
    expect(dates(schedule('2026-03-29T00:59:58Z', 'Europe/Paris', 'second', 2), 3)).toEqual([
      '2026-03-29T00:59:58.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:00:02.000Z',
    ]);
    expect(chargeAt(schedule('2026-01-01T00:00:00Z', 'UTC', 'hour', 6), 5).toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect(chargeAt(schedule('2026-01-01T00:00:00Z', 'UTC', 'minute', 1), 61).toISOString()).toBe(
      '2026-01-01T01:00:00.000Z',
    );
  });
});
