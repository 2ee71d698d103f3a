import type { Charge, Subscription } from '../api/types';
import { buildTimeline } from './timeline';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' as const });

const subscription = (overrides: Partial<Subscription> = {}): Subscription => ({
  id: 'sub_1',
  customerId: 'cus_ada',
  status: 'active',
  price: usd(1000),
  interval: { unit: 'second', count: 4 },
  timeZone: 'Europe/Paris',
  nextChargeAt: '2026-06-01T12:00:16Z',
  periodsBilled: 3,
  pendingPrice: null,
  cancel: null,
  pausedAt: null,
  source: 'workflow',
  workflowId: 'subscription:dev~sub_1',
  ...overrides,
});

const charge = (
  period: number,
  attempt: number,
  outcome: Charge['outcome'],
  at: string,
  amount = 1000,
): Charge => ({
  period,
  attempt,
  amount: usd(amount),
  outcome,
  providerRef: outcome === 'succeeded' ? `ch_${period}_${attempt}` : null,
  failureCode: outcome === 'declined' ? 'card_declined' : null,
  occurredAt: at,
});

const now = new Date('2026-06-01T12:00:13Z');

describe('buildTimeline', () => {
  it('lists the next charge, then every attempt newest first, a dunning retry as a retry', () => {
    const entries = buildTimeline(
      subscription(),
      [
        charge(2, 1, 'declined', '2026-06-01T12:00:04Z'),
        charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z'),
        charge(2, 2, 'succeeded', '2026-06-01T12:00:06Z'),
        charge(3, 1, 'succeeded', '2026-06-01T12:00:08Z'),
      ],
      now,
    );
    expect(entries.map((e) => e.title)).toEqual([
      'Next charge',
      'Period 3 charge succeeded',
      'Retry 1 for period 2 succeeded',
      'Period 2 charge declined',
      'Period 1 charge succeeded',
    ]);
    expect(entries.map((e) => e.tone)).toEqual([
      'upcoming',
      'success',
      'success',
      'danger',
      'success',
    ]);
    expect(entries[3]).toMatchObject({
      kind: 'charge-declined',
      failureCode: 'card_declined',
      period: 2,
      attempt: 1,
    });
  });

  it('shows a price change where the ledger’s amount changes, and one still waiting for its period', () => {
    const entries = buildTimeline(
      subscription({ price: usd(1500), pendingPrice: { price: usd(2000), fromPeriod: 4 } }),
      [
        charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z'),
        charge(2, 1, 'succeeded', '2026-06-01T12:00:04Z'),
        charge(3, 1, 'succeeded', '2026-06-01T12:00:08Z', 1500),
      ],
      now,
    );
    expect(entries.map((e) => e.kind)).toEqual([
      'scheduled-price',
      'next-charge',
      'charge-succeeded',
      'price-changed',
      'charge-succeeded',
      'charge-succeeded',
    ]);
    expect(entries[3]).toMatchObject({ previousAmount: usd(1000), amount: usd(1500), period: 3 });
    expect(entries[0]).toMatchObject({
      previousAmount: usd(1500),
      amount: usd(2000),
      period: 4,
      at: null,
    });
  });

  it('shows a pause, and no next charge while paused', () => {
    const entries = buildTimeline(
      subscription({ status: 'paused', pausedAt: '2026-06-01T12:00:10Z', nextChargeAt: null }),
      [charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z')],
      now,
    );
    expect(entries.map((e) => e.kind)).toEqual(['paused', 'charge-succeeded']);
  });

  it('shows a cancellation at period end as upcoming, then as done once effective', () => {
    const cancel = { effectiveAt: '2026-06-01T12:00:16Z', reason: 'customer_request' };
    const pending = buildTimeline(subscription({ cancel }), [], now);
    expect(pending[0]).toMatchObject({
      kind: 'scheduled-cancel',
      tone: 'upcoming',
      reason: 'customer_request',
    });

    const done = buildTimeline(
      subscription({ cancel, status: 'canceled', nextChargeAt: null }),
      [],
      new Date('2026-06-01T12:00:20Z'),
    );
    expect(done.map((e) => e.kind)).toEqual(['canceled']);
    expect(done[0]?.title).toBe('Canceled');
  });

  it('keeps its keys stable and unique as charges arrive', () => {
    const first = buildTimeline(
      subscription(),
      [charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z')],
      now,
    );
    const later = buildTimeline(
      subscription(),
      [
        charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z'),
        charge(2, 1, 'succeeded', '2026-06-01T12:00:04Z'),
      ],
      now,
    );
    expect(later.map((e) => e.key)).toEqual(expect.arrayContaining(first.map((e) => e.key)));
    expect(new Set(later.map((e) => e.key)).size).toBe(later.length);
  });
});
