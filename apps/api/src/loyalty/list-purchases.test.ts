import type { ProcessedPurchase, PurchaseSource } from '@invincible/astra-repo';
import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import request from 'supertest';
import { auth, T0, tenantKey, testApp } from '../testing/unit-app';

/** `GET /v1/customers/{customerId}/purchases` (issue #18): the customer's points ledger. */

const row = (
  customerId: string,
  source: PurchaseSource,
  purchaseId: string,
  amountMinor: number,
  currency = 'USD',
): ProcessedPurchase => ({
  customerId,
  source,
  purchaseId,
  total: { amountMinor, currency },
  points: amountMinor,
  processedAt: new Date(T0 - amountMinor * 1000),
  countedBy: 'run-1:1',
  requestId: source === 'purchase' ? `purchase:${purchaseId}` : null,
  balanceAfter: amountMinor,
  couponsIssued: [],
});

interface Page {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

describe('GET /v1/customers/{customerId}/purchases', () => {
  let store: InMemoryRepository;
  let app: ReturnType<typeof testApp>;
  const ledger = [
    row('dev~cus_ada', 'purchase', 'order-1', 1250),
    row('dev~cus_ada', 'purchase', 'order-2', 300, 'EUR'),
    row('dev~cus_ada', 'purchase', 'order-3', 99),
    // Subscription charges' awards: their ids are the charge's (a stored, tenant-scoped key).
    row('dev~cus_ada', 'charge', 'dev~sub_1:1:1', 1999),
    row('dev~cus_ada', 'charge', 'dev~sub_1:2:1', 1999),
  ];

  beforeEach(async () => {
    store = createInMemoryRepository();
    app = testApp(store);
    for (const id of ['cus_ada', 'cus_bob'])
      await store.customers.create({
        id: `dev~${id}`,
        email: `${id}@example.com`,
        name: id,
        createdAt: new Date(T0),
      });
    for (const r of ledger) await store.purchases.record(r);
    // Another customer's row with the same purchaseId, and another tenant's customer of that id.
    await store.purchases.record(row('dev~cus_bob', 'purchase', 'order-1', 5));
    await store.customers.create({
      id: 'globex~cus_ada',
      email: 'ada@globex.io',
      name: 'Ada of Globex',
      createdAt: new Date(T0),
    });
    await store.purchases.record(row('globex~cus_ada', 'purchase', 'order-9', 7));
  });

  const get = (path: string, key = auth) => request(app).get(path).set('Authorization', key);

  async function walk(customerId: string, limit: number, key = auth) {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(
        `/v1/customers/${customerId}/purchases?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        key,
      );
      expect(res.status).toBe(200);
      const page = res.body as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(cursor).toBeNull();
    return { items, pages };
  }

  it("lists every row of the customer's ledger once, page by page, as Purchases", async () => {
    const { items, pages } = await walk('cus_ada', 2);
    expect(pages).toBe(3);
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a['purchaseId']).localeCompare(String(b['purchaseId']));
    expect(items.sort(byId)).toEqual(
      [
        {
          purchaseId: 'order-1',
          amount: { amountMinor: 1250, currency: 'USD' },
          points: 1250,
          countedAt: new Date(T0 - 1_250_000).toISOString(),
          source: 'purchase',
        },
        {
          purchaseId: 'order-2',
          amount: { amountMinor: 300, currency: 'EUR' },
          points: 300,
          countedAt: new Date(T0 - 300_000).toISOString(),
          source: 'purchase',
        },
        {
          purchaseId: 'order-3',
          amount: { amountMinor: 99, currency: 'USD' },
          points: 99,
          countedAt: new Date(T0 - 99_000).toISOString(),
          source: 'purchase',
        },
        {
          purchaseId: 'sub_1:1:1',
          amount: { amountMinor: 1999, currency: 'USD' },
          points: 1999,
          countedAt: new Date(T0 - 1_999_000).toISOString(),
          source: 'charge',
        },
        {
          purchaseId: 'sub_1:2:1',
          amount: { amountMinor: 1999, currency: 'USD' },
          points: 1999,
          countedAt: new Date(T0 - 1_999_000).toISOString(),
          source: 'charge',
        },
      ].sort(byId),
    );
    // A customer with no purchase yet has an empty ledger, not a 404.
    await store.customers.create({
      id: 'dev~cus_new',
      email: 'new@example.com',
      name: 'New',
      createdAt: new Date(T0),
    });
    const empty = await get('/v1/customers/cus_new/purchases');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });

  it("keeps to the caller's tenant: another tenant's customer of the same id is its own", async () => {
    const globex = await tenantKey(store, 'globex');
    const theirs = await walk('cus_ada', 100, globex);
    expect(theirs.items.map((p) => p['purchaseId'])).toEqual(['order-9']);
    const dev = await walk('cus_ada', 100);
    expect(dev.items.map((p) => p['purchaseId'])).not.toContain('order-9');
    // A customer only the other tenant has is not found.
    const bobOfGlobex = await get('/v1/customers/cus_bob/purchases', globex);
    expect(bobOfGlobex.status).toBe(404);
  });

  it('answers 404 for a customer that does not exist', async () => {
    const res = await get('/v1/customers/cus_nobody/purchases');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, detail: 'no customer cus_nobody' });
  });

  it("refuses bad input, and a cursor of another customer's ledger, with a 400 naming the field", async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?cursor=made-up', 'cursor'],
    ] as const) {
      const res = await get(`/v1/customers/cus_ada/purchases${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toMatchObject({ errors: [{ in: 'query', field }] });
    }
    expect((await get('/v1/customers/not~an~id/purchases')).status).toBe(400);
    const first = (await get('/v1/customers/cus_ada/purchases?limit=1')).body as Page;
    const cursor = encodeURIComponent(first.nextCursor ?? '');
    const other = await get(`/v1/customers/cus_bob/purchases?cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ errors: [{ in: 'query', field: 'cursor' }] });
  });

  it('needs loyalty:read (a restricted loyalty reader may)', async () => {
    const loyaltyReader = await tenantKey(store, 'dev', 'restricted', ['loyalty:read']);
    expect((await get('/v1/customers/cus_ada/purchases', loyaltyReader)).status).toBe(200);
    const customersOnly = await tenantKey(store, 'dev', 'restricted', ['customers:read']);
    expect((await get('/v1/customers/cus_ada/purchases', customersOnly)).status).toBe(403);
  });
});
