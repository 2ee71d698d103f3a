import type { Charge, Subscription, SubscriptionEvent } from '../api/types';
import { buildTimeline, byActor } from './timeline';

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

const event = (
  action: string,
  at: string,
  actor = 'key:key_0123456789abcdef',
): SubscriptionEvent => ({ at, action, actor, requestId: `req-${action}-${at}`, status: 200 });

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

  it('merges the change history with the charges, newest first, each with who made it', () => {
    const entries = buildTimeline(
      subscription({ price: usd(1500), nextChargeAt: '2026-06-01T12:00:16Z' }),
      [
        charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z'),
        charge(2, 1, 'succeeded', '2026-06-01T12:00:04Z', 1500),
      ],
      now,
      [
        event('resumed', '2026-06-01T12:00:09Z', 'customer:cus_ada'),
        event('priceChanged', '2026-06-01T12:00:02Z', 'env:dev'),
        event('paused', '2026-06-01T12:00:06Z'),
        event('created', '2026-06-01T11:59:59Z'),
      ],
    );
    expect(entries.map((e) => [e.title, e.actor ? byActor(e.actor) : null])).toEqual([
      ['Next charge', null],
      ['Resumed', 'by customer cus_ada'],
      ['Paused', 'by key key_0123456789abcdef'],
      // What the ledger shows (the first period at the new price), and when it was asked for.
      ['Period 2 charge succeeded', null],
      ['Price changed from period 2', null],
      ['Price changed', 'by env:dev'],
      ['Period 1 charge succeeded', null],
    ]);
    expect(entries[1]).toMatchObject({ kind: 'resumed', at: '2026-06-01T12:00:09Z' });
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
  });

  it('names who paused the pause in force in its one entry, and lists earlier pauses', () => {
    const entries = buildTimeline(
      subscription({ status: 'paused', pausedAt: '2026-06-01T12:00:10Z', nextChargeAt: null }),
      [],
      now,
      [
        event('paused', '2026-06-01T12:00:02Z', 'env:dev'),
        event('resumed', '2026-06-01T12:00:05Z', 'env:dev'),
        event('paused', '2026-06-01T12:00:10.020Z'),
      ],
    );
    expect(entries.map((e) => [e.title, e.at, e.actor])).toEqual([
      ['Paused', '2026-06-01T12:00:10Z', 'key:key_0123456789abcdef'],
      ['Resumed', '2026-06-01T12:00:05Z', 'env:dev'],
      ['Paused', '2026-06-01T12:00:02Z', 'env:dev'],
    ]);
  });

  it('names who canceled now in the one Canceled entry; a cancel for later as asked for', () => {
    const at = '2026-06-01T12:00:11Z';
    const now2 = new Date('2026-06-01T12:00:20Z');
    const canceledNow = buildTimeline(
      subscription({
        status: 'canceled',
        nextChargeAt: null,
        cancel: { effectiveAt: '2026-06-01T12:00:10.950Z', reason: 'customer asked' },
      }),
      [],
      now2,
      [event('canceled', at, 'env:dev')],
    );
    expect(canceledNow.map((e) => [e.title, e.actor, e.reason])).toEqual([
      ['Canceled', 'env:dev', 'customer asked'],
    ]);

    const later = buildTimeline(
      subscription({ cancel: { effectiveAt: '2026-06-03T00:00:00Z', reason: null } }),
      [],
      now2,
      [event('canceled', at, 'env:dev')],
    );
    expect(later.map((e) => [e.kind, e.title, e.actor])).toEqual([
      ['scheduled-cancel', 'Cancels at the end of the period', undefined],
      ['next-charge', 'Next charge', undefined],
      ['cancel-requested', 'Cancellation requested', 'env:dev'],
    ]);
  });

  it('is the ledger and the state alone without a history (a key that may not read it)', () => {
    const charges = [charge(1, 1, 'succeeded', '2026-06-01T12:00:00Z')];
    const state = subscription({ status: 'paused', pausedAt: '2026-06-01T12:00:10Z' });
    expect(buildTimeline(state, charges, now, [])).toEqual(buildTimeline(state, charges, now));
    expect(buildTimeline(state, charges, now).map((e) => e.title)).toEqual([
      'Paused',
      'Period 1 charge succeeded',
    ]);
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
