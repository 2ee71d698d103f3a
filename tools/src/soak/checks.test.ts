import {
  checkCustomer,
  checkStatuses,
  checkSubscription,
  gatewayKey,
  type ChargeRow,
  type CustomerObserved,
  type SubscriptionObserved,
} from './checks';
import { dueAt, type PurchaseSent, type SubscriptionKnown } from './knowledge';

const T0 = Date.parse('2026-11-30T10:00:00Z');

function sub(overrides: Partial<SubscriptionKnown> = {}): SubscriptionKnown {
  return {
    key: 'k',
    id: 'sub_1',
    customerId: 'cus_1',
    card: 'pm_card_visa',
    price: 1_000,
    currency: 'USD',
    startAt: T0,
    periodSeconds: 4,
    priceChanges: [],
    ...overrides,
  };
}

const charge = (period: number, amountMinor = 1_000, attempt = 1): ChargeRow => ({
  period,
  attempt,
  outcome: 'succeeded',
  amountMinor,
  currency: 'USD',
  occurredAt: T0 + (period - 1) * 4_000 + 50,
});

/** What a correct run leaves for `periods` charged at `price`. */
function clean(
  s: SubscriptionKnown,
  periods: number[],
  price = (_p: number) => 1_000,
): SubscriptionObserved {
  const ledger = periods.map((p) => charge(p, price(p)));
  return {
    ledger,
    gateway: ledger.map((r) => ({
      key: gatewayKey('sub_1', r.period, 1),
      status: 'succeeded' as const,
      amountMinor: r.amountMinor,
      currency: 'USD',
    })),
    anchorAt: s.startAt,
    emailIds: periods.map((p) => `sub_1:receipt:${p}`),
    awardedCharges: new Set(periods.map((p) => gatewayKey('sub_1', p, 1))),
  };
}

// Periods 1..5 are due at T0, +4 s … +16 s; settled at +20 s with 2 s grace → 1..5 must be charged.
const window = { settledAt: T0 + 20_000, graceMs: 2_000 };
const invariants = (violations: { invariant: string }[]) => violations.map((v) => v.invariant);

describe('checkSubscription', () => {
  it('accepts one charge per elapsed period at its price', () => {
    expect(checkSubscription(sub(), clean(sub(), [1, 2, 3, 4, 5]), window)).toEqual([]);
  });

  it('finds a missing period, a doubled one and one charged early', () => {
    const o = clean(sub(), [1, 2, 4, 5, 7]);
    const doubled = { ...o, ledger: [...o.ledger, charge(2, 1_000, 2)] };
    const found = checkSubscription(sub(), doubled, window);
    expect(invariants(found)).toEqual(
      expect.arrayContaining([
        'one charge per period',
        'every elapsed period charged',
        'nothing before due',
      ]),
    );
    expect(found.find((v) => v.invariant === 'every elapsed period charged')?.detail).toMatch(
      /^period 3 /,
    );
  });

  it('holds the price change from the period the API answered, and nothing after a cancel', () => {
    const s = sub({
      priceChanges: [{ price: 1_500, fromPeriod: 3 }],
      cancel: { mode: 'now', effectiveAt: dueAt(sub(), 4) - 1 },
    });
    const charged = clean(s, [1, 2, 3], (p) => (p >= 3 ? 1_500 : 1_000));
    const right = { ...charged, emailIds: [...charged.emailIds, 'sub_1:canceled:cancel-7'] };
    expect(checkSubscription(s, right, window)).toEqual([]);
    const wrong = clean(s, [1, 2, 3, 4], () => 1_000);
    expect(invariants(checkSubscription(s, wrong, window))).toEqual(
      expect.arrayContaining([
        'charged at its price',
        'nothing after cancel',
        'one email per event',
      ]),
    );
  });

  it('skips periods from the pause to the resume; one due while the resume was in flight may go either way', () => {
    const s = sub({
      pause: {
        pausedAt: dueAt(sub(), 2) + 1,
        resume: { sentAt: dueAt(sub(), 4) - 100, answeredAt: dueAt(sub(), 4) + 300 },
      },
    });
    expect(checkSubscription(s, clean(s, [1, 2, 5]), window)).toEqual([]);
    expect(checkSubscription(s, clean(s, [1, 2, 4, 5]), window)).toEqual([]);
    expect(invariants(checkSubscription(s, clean(s, [1, 2]), window))).toContain(
      'every elapsed period charged',
    );
    expect(invariants(checkSubscription(s, clean(s, [1, 2, 3, 5]), window))).toContain(
      'nothing inside a pause',
    );
  });

  it('compares the ledger with the gateway both ways, and wants a receipt and an award per charge', () => {
    const o = clean(sub(), [1, 2, 3, 4, 5]);
    const drifted: SubscriptionObserved = {
      ...o,
      gateway: [
        ...o.gateway.filter((g) => g.key !== 'sub_1:2'),
        { key: 'sub_1:9', status: 'succeeded', amountMinor: 1_000, currency: 'USD' },
      ],
      emailIds: o.emailIds.filter((e) => !e.endsWith(':3')),
      awardedCharges: new Set([...o.awardedCharges].filter((k) => k !== 'sub_1:4')),
    };
    const details = checkSubscription(sub(), drifted, window).map(
      (v) => `${v.invariant}: ${v.detail}`,
    );
    expect(details).toEqual(
      expect.arrayContaining([
        'ledger ↔ gateway: sub_1:2: succeeded in the ledger, unknown to the gateway',
        'ledger ↔ gateway: sub_1:9: succeeded at the gateway, not in the ledger',
        'one email per event: no receipt for period 3',
        'points for every charge: period 4 attempt 1 not awarded',
      ]),
    );
  });

  it('wants a declining card declined and never charged', () => {
    const s = sub({ card: 'pm_card_declined' });
    const declined: SubscriptionObserved = {
      ledger: [{ ...charge(1), outcome: 'declined' }],
      gateway: [{ key: 'sub_1:1', status: 'declined', amountMinor: 1_000, currency: 'USD' }],
      anchorAt: T0,
      emailIds: [],
      awardedCharges: new Set(),
    };
    expect(checkSubscription(s, declined, window)).toEqual([]);
    expect(
      invariants(checkSubscription(s, { ...declined, ledger: [], gateway: [] }, window)),
    ).toEqual(['declines recorded']);
  });
});

describe('checkCustomer', () => {
  const sent = (id: string, total: number, status?: number): PurchaseSent => ({
    customerId: 'cus_1',
    purchaseId: id,
    total,
    currency: 'USD',
    sentAt: T0,
    ...(status === undefined ? {} : { status }),
  });
  const observed = (
    rows: [string, number][],
    extra: Partial<CustomerObserved> = {},
  ): CustomerObserved => {
    const points = rows.reduce((sum, [, p]) => sum + p, 0);
    return {
      rows: new Map(rows.map(([k, p]) => [k, { points: p, totalMinor: p }])),
      totals: { purchases: rows.length, points },
      account: {
        lifetimePoints: points,
        balance: points % 10_000,
        couponsIssued: Math.floor(points / 10_000),
      },
      couponIds: Array.from({ length: Math.floor(points / 10_000) }, (_, i) => `cus_1:${i + 1}`),
      emailIds: new Set(
        Array.from({ length: Math.floor(points / 10_000) }, (_, i) => `cus_1:${i + 1}:coupon`),
      ),
      ...extra,
    };
  };

  it('accepts every answered purchase counted once, with the coupons it crossed', () => {
    const purchases = [sent('a', 8_000, 201), sent('b', 3_000, 201), sent('c', 500)];
    const o = observed([
      ['purchase:a', 8_000],
      ['purchase:b', 3_000],
      ['charge:sub_1:1', 1_000],
    ]);
    expect(checkCustomer('cus_1', purchases, ['sub_1:1'], o, 10_000)).toEqual([]);
  });

  it('finds a lost purchase, a row nobody sent, a balance off and a missing coupon', () => {
    const purchases = [sent('a', 8_000, 201), sent('b', 3_000, 200)];
    const o = observed([['purchase:a', 8_000]], {
      totals: { purchases: 2, points: 19_000 },
      account: { lifetimePoints: 19_000, balance: 9_000, couponsIssued: 1 },
      couponIds: [],
    });
    expect(invariants(checkCustomer('cus_1', purchases, [], o, 10_000))).toEqual([
      'every purchase counted',
      'nothing counted twice or unasked',
      'one coupon per crossing',
    ]);
  });
});

describe('checkStatuses', () => {
  it('tolerates 503 and network errors, never a 500', () => {
    expect(checkStatuses({ '201': 10, '503': 4, network: 7 })).toEqual([]);
    expect(checkStatuses({ '201': 10, '500': 2, '502': 1 }).map((v) => v.detail)).toEqual([
      '2 × 500',
      '1 × 502',
    ]);
  });
});
