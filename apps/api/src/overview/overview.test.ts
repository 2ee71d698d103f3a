import type { ChargeEntry, ChargeOutcome, SubscriptionStatus } from '@invincible/astra-repo';
import {
  createInMemoryRepository,
  exampleSubscription,
  type InMemoryRepository,
} from '@invincible/astra-repo/testing';
import request from 'supertest';
import { auth, T0, tenantKey, testApp } from '../testing/unit-app';
import { computeOverview, DEFAULT_OVERVIEW_LIMITS } from './compute-overview';
import type { OverviewView } from './overview-schemas';

/**
 * `GET /v1/overview` (issue #18): figures computed from the tables. The unit tests' clock is
 * T0 = 2026-06-01T12:00:00Z, so the 30 days are 2026-05-03 … 2026-06-01.
 */

const subscription = (
  tenant: string,
  id: string,
  status: SubscriptionStatus,
  currency = 'USD',
  amountMinor = 1999,
) => ({
  ...exampleSubscription(`${tenant}~${id}`, `${tenant}~cus_ada`, 1),
  status,
  price: { amountMinor, currency },
});

const charge = (
  subscriptionId: string,
  period: number,
  attempt: number,
  outcome: ChargeOutcome,
  occurredAt: string,
  amountMinor: number,
  currency: string,
): ChargeEntry => ({
  subscriptionId,
  period,
  attempt,
  customerId: `${subscriptionId.split('~')[0]}~cus_ada`,
  amount: { amountMinor, currency },
  outcome,
  providerRef: outcome === 'failed' ? null : `ch_${period}_${attempt}`,
  failureCode: outcome === 'declined' ? 'card_declined' : null,
  occurredAt: new Date(occurredAt),
});

async function seed(store: InMemoryRepository) {
  for (const tenant of ['dev', 'globex'])
    for (const id of ['cus_ada', 'cus_bob'])
      await store.customers.create({
        id: `${tenant}~${id}`,
        email: `${id}@${tenant}.example`,
        name: id,
        createdAt: new Date(T0),
      });
  for (const s of [
    subscription('dev', 'sub_usd', 'active', 'USD', 1999),
    subscription('dev', 'sub_eur', 'past_due', 'EUR', 2500),
    subscription('dev', 'sub_old', 'canceled'),
    subscription('dev', 'sub_paused', 'paused'),
    subscription('dev', 'sub_trial', 'trialing'),
    // Another tenant's: counted for it only.
    subscription('globex', 'sub_usd', 'active', 'USD', 100_000),
    subscription('globex', 'sub_done', 'completed'),
  ])
    await store.subscriptions.save(s);
  for (const c of [
    charge('dev~sub_usd', 1, 1, 'succeeded', '2026-05-10T08:00:00Z', 1999, 'USD'),
    charge('dev~sub_usd', 2, 1, 'succeeded', '2026-06-01T08:00:00Z', 1999, 'USD'),
    charge('dev~sub_eur', 1, 1, 'declined', '2026-05-10T09:00:00Z', 2500, 'EUR'),
    charge('dev~sub_eur', 1, 2, 'succeeded', '2026-05-10T21:00:00Z', 2500, 'EUR'),
    // A technical failure is neither a success nor a decline.
    charge('dev~sub_eur', 2, 1, 'failed', '2026-05-20T00:00:00Z', 2500, 'EUR'),
    charge('dev~sub_eur', 2, 2, 'declined', '2026-05-20T00:00:01Z', 2500, 'EUR'),
    // The first and the last instant of the window, and just before it.
    charge('dev~sub_old', 1, 1, 'succeeded', '2026-05-02T23:59:59.999Z', 500, 'USD'),
    charge('dev~sub_old', 2, 1, 'succeeded', '2026-05-03T00:00:00Z', 500, 'USD'),
    charge('dev~sub_paused', 1, 1, 'succeeded', '2026-06-01T11:59:59Z', 1000, 'JPY'),
    charge('globex~sub_usd', 1, 1, 'succeeded', '2026-05-10T08:00:00Z', 100_000, 'USD'),
  ])
    await store.charges.record(c);
  const coupon = (tenant: string, customer: string, n: number, redeemed: boolean) =>
    store.coupons.issue({
      id: `${tenant}~${customer}:${n}`,
      customerId: `${tenant}~${customer}`,
      value: { amountMinor: 500, currency: 'USD' },
      status: redeemed ? 'redeemed' : 'issued',
      issuedAt: new Date(T0),
      redeemedAt: redeemed ? new Date(T0) : null,
      redeemedBy: redeemed ? 'req-1' : null,
    });
  await coupon('dev', 'cus_ada', 1, true);
  await coupon('dev', 'cus_ada', 2, false);
  await coupon('dev', 'cus_ada', 3, false);
  await coupon('dev', 'cus_bob', 1, true);
  await coupon('globex', 'cus_ada', 1, false);
}

const quiet = (date: string) => ({ date, succeeded: 0, declined: 0, revenue: [] });

describe('GET /v1/overview', () => {
  let store: InMemoryRepository;
  let app: ReturnType<typeof testApp>;
  beforeEach(async () => {
    store = createInMemoryRepository();
    app = testApp(store);
    await seed(store);
  });
  const get = (key = auth) => request(app).get('/v1/overview').set('Authorization', key);

  it("computes the tenant's figures from its subscriptions, charge ledgers and coupons", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    const body = res.body as OverviewView;
    expect(body.subscriptions).toEqual({
      trialing: 1,
      active: 1,
      past_due: 1,
      paused: 1,
      canceled: 1,
      completed: 0,
    });
    const days = body.charges.days;
    expect(days).toHaveLength(30);
    expect(days[0]?.date).toBe('2026-05-03');
    expect(days[29]?.date).toBe('2026-06-01');
    // Every day, in order, one apart.
    for (let i = 1; i < days.length; i++)
      expect(Date.parse(days[i]?.date ?? '') - Date.parse(days[i - 1]?.date ?? '')).toBe(
        86_400_000,
      );
    const busy = Object.fromEntries(
      days.filter((d) => d.succeeded + d.declined > 0).map((d) => [d.date, d]),
    );
    expect(busy).toEqual({
      '2026-05-03': {
        date: '2026-05-03',
        succeeded: 1,
        declined: 0,
        revenue: [{ currency: 'USD', amountMinor: 500 }],
      },
      '2026-05-10': {
        date: '2026-05-10',
        succeeded: 2,
        declined: 1,
        revenue: [
          { currency: 'EUR', amountMinor: 2500 },
          { currency: 'USD', amountMinor: 1999 },
        ],
      },
      '2026-05-20': { date: '2026-05-20', succeeded: 0, declined: 1, revenue: [] },
      '2026-06-01': {
        date: '2026-06-01',
        succeeded: 2,
        declined: 0,
        revenue: [
          { currency: 'JPY', amountMinor: 1000 },
          { currency: 'USD', amountMinor: 1999 },
        ],
      },
    });
    expect(days.find((d) => d.date === '2026-05-04')).toEqual(quiet('2026-05-04'));
    expect(body.coupons).toEqual({ issued: 4, redeemed: 2 });
    expect(body.findings).toBeNull();
    expect(body.scanned).toEqual({ subscriptions: 5, customers: 2, complete: true });
    expect(body.asOf).toBe(new Date(T0).toISOString());
  });

  it('shows another tenant only its own figures, and a tenant with nothing only zeros', async () => {
    const globex = (await get(await tenantKey(store, 'globex'))).body as OverviewView;
    expect(globex.subscriptions).toMatchObject({ active: 1, completed: 1, past_due: 0 });
    expect(globex.charges.days.find((d) => d.date === '2026-05-10')).toEqual({
      date: '2026-05-10',
      succeeded: 1,
      declined: 0,
      revenue: [{ currency: 'USD', amountMinor: 100_000 }],
    });
    expect(globex.coupons).toEqual({ issued: 1, redeemed: 0 });
    expect(globex.scanned).toEqual({ subscriptions: 2, customers: 2, complete: true });

    const empty = (await get(await tenantKey(store, 'initech'))).body as OverviewView;
    expect(empty.subscriptions).toEqual({
      trialing: 0,
      active: 0,
      past_due: 0,
      paused: 0,
      canceled: 0,
      completed: 0,
    });
    expect(empty.charges.days.every((d) => d.succeeded + d.declined === 0)).toBe(true);
    expect(empty.charges.days).toHaveLength(30);
    expect(empty.coupons).toEqual({ issued: 0, redeemed: 0 });
    expect(empty.scanned).toEqual({ subscriptions: 0, customers: 0, complete: true });
  });

  it('needs subscriptions:read', async () => {
    const subscriptionsReader = await tenantKey(store, 'dev', 'restricted', ['subscriptions:read']);
    expect((await get(subscriptionsReader)).status).toBe(200);
    const loyaltyReader = await tenantKey(store, 'dev', 'restricted', ['loyalty:read']);
    const refused = await get(loyaltyReader);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      detail: expect.stringMatching(/subscriptions:read/) as unknown,
    });
  });
});

describe('GET /v1/overview: one computation per tenant per 10 s', () => {
  it('answers the same figures within 10 s, reads anew after, keeps tenants apart and never keeps a failure', async () => {
    const store = createInMemoryRepository();
    await seed(store);
    let clock = T0;
    const app = testApp(store, { now: () => new Date(clock) });
    const scans = jest.spyOn(store.subscriptions, 'listByTenant');
    const get = (key = auth) => request(app).get('/v1/overview').set('Authorization', key);

    const first = await get();
    expect(first.status).toBe(200);
    expect(scans).toHaveBeenCalledTimes(1);
    // Concurrent and later requests inside the 10 s share it (every open console polls).
    clock += 9_000;
    const again = await Promise.all([get(), get()]);
    expect(again.map((r) => r.body as OverviewView)).toEqual([first.body, first.body]);
    expect(scans).toHaveBeenCalledTimes(1);
    // Another tenant: its own figures, computed for it.
    expect((await get(await tenantKey(store, 'globex'))).status).toBe(200);
    expect(scans).toHaveBeenCalledTimes(2);
    expect(scans.mock.calls.map((c) => c[0])).toEqual(['dev', 'globex']);

    // 10 s on: read anew, and asOf says when.
    clock += 1_000;
    const later = await get();
    expect(scans).toHaveBeenCalledTimes(3);
    expect((later.body as OverviewView).asOf).toBe(new Date(clock).toISOString());

    // A failed computation is answered as a failure once, not kept.
    clock += 10_000;
    scans.mockRejectedValueOnce(new Error('database away'));
    expect((await get()).status).toBe(500);
    expect((await get()).status).toBe(200);
    expect(scans).toHaveBeenCalledTimes(5);
  });
});

describe('computeOverview: bounded work', () => {
  let store: InMemoryRepository;
  beforeEach(async () => {
    store = createInMemoryRepository();
    await seed(store);
  });
  const at = new Date(T0);

  it('scans at most the limits and says when that was not everything', async () => {
    const cut = await computeOverview(store, 'dev', at, {
      ...DEFAULT_OVERVIEW_LIMITS,
      maxSubscriptions: 3,
      maxCustomers: 1,
    });
    expect(cut.scanned).toEqual({ subscriptions: 3, customers: 1, complete: false });
    expect(Object.values(cut.subscriptions).reduce((a, b) => a + b, 0)).toBe(3);
    // Exactly as many as there are is everything.
    const exact = await computeOverview(store, 'dev', at, {
      ...DEFAULT_OVERVIEW_LIMITS,
      maxSubscriptions: 5,
      maxCustomers: 2,
    });
    expect(exact.scanned).toEqual({ subscriptions: 5, customers: 2, complete: true });
  });

  it('reads a long ledger up to its page bound, and says so', async () => {
    for (let period = 1; period <= 150; period++)
      await store.charges.record(
        charge('dev~sub_trial', period, 1, 'succeeded', '2026-05-15T00:00:00Z', 1, 'USD'),
      );
    const bounded = await computeOverview(store, 'dev', at, {
      ...DEFAULT_OVERVIEW_LIMITS,
      maxPagesPerLedger: 1,
    });
    expect(bounded.scanned.complete).toBe(false);
    expect(bounded.charges.days.find((d) => d.date === '2026-05-15')?.succeeded).toBe(100);
    const whole = await computeOverview(store, 'dev', at);
    expect(whole.scanned.complete).toBe(true);
    expect(whole.charges.days.find((d) => d.date === '2026-05-15')).toEqual({
      date: '2026-05-15',
      succeeded: 150,
      declined: 0,
      revenue: [{ currency: 'USD', amountMinor: 150 }],
    });
  });

  it('reads the ledgers with limited concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    const listBySubscription: typeof store.charges.listBySubscription = async (id, page) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return store.charges.listBySubscription(id, page);
    };
    for (let n = 0; n < 20; n++)
      await store.subscriptions.save(subscription('dev', `s${n}`, 'active'));
    const overview = await computeOverview(
      { ...store, charges: { ...store.charges, listBySubscription } },
      'dev',
      at,
      { ...DEFAULT_OVERVIEW_LIMITS, concurrency: 3 },
    );
    expect(overview.scanned.subscriptions).toBe(25);
    expect(most).toBe(3);
  });
});
