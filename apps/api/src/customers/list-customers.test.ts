import type { Customer, CustomersPort } from '@invincible/astra-repo';
import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import request from 'supertest';
import { signedCursors } from '../http/cursors';
import { auth, T0, tenantKey, testApp } from '../testing/unit-app';
import { listCustomers, SEARCH_READS } from './list-customers';

/** `GET /v1/customers` (issue #18): the tenant's customers, and a search over them. */

const customer = (tenant: string, id: string, name: string, email: string): Customer => ({
  id: `${tenant}~${id}`,
  email,
  name,
  createdAt: new Date(T0),
});

const NAMED = [
  ['cus_ada', 'Ada Lovelace', 'ada@example.com'],
  ['cus_grace', 'Grace Hopper', 'grace@navy.example'],
  ['cus_alan', 'Alan Turing', 'alan@bletchley.example'],
  ['adam-1', 'Adam Smith', 'adam@example.org'],
] as const;
const FILLERS = Array.from({ length: 25 }, (_, n) => `f-${String(n).padStart(2, '0')}`);
/** Sorts after everything else in the in-memory listing (by id). */
const LAST = 'zz-last';

interface Page {
  items: { id: string; email: string; name: string; createdAt: string }[];
  nextCursor: string | null;
}

describe('GET /v1/customers', () => {
  let store: InMemoryRepository;
  let app: ReturnType<typeof testApp>;
  let globex: string;

  beforeEach(async () => {
    store = createInMemoryRepository();
    // One app for the test: its cursors are signed with its own secret.
    app = testApp(store);
    for (const [id, name, email] of NAMED)
      await store.customers.create(customer('dev', id, name, email));
    for (const id of FILLERS)
      await store.customers.create(customer('dev', id, `Filler ${id}`, `${id}@fill.example`));
    await store.customers.create(customer('dev', LAST, 'Last One', 'last@example.net'));
    // Another tenant, with a customer of the same local id and a search-matching name.
    globex = await tenantKey(store, 'globex');
    await store.customers.create(customer('globex', 'cus_ada', 'Ada of Globex', 'ada@globex.io'));
    await store.customers.create(customer('globex', 'cus_zed', 'Zed', 'zed@globex.io'));
  });

  const get = (query: string, key = auth) =>
    request(app).get(`/v1/customers${query}`).set('Authorization', key);

  /** Every page of a listing, following nextCursor; the pages too. */
  async function walk(query: string, key = auth) {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(
        `${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        key,
      );
      expect(res.status).toBe(200);
      const page = res.body as Page;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 100);
    expect(cursor).toBeNull();
    return { pages, ids: pages.flatMap((p) => p.items.map((c) => c.id)) };
  }

  it("lists the tenant's customers page by page, each once, with the tenant's own ids", async () => {
    const { pages, ids } = await walk('?limit=7');
    expect(pages.length).toBeGreaterThanOrEqual(5);
    for (const page of pages) expect(page.items.length).toBeLessThanOrEqual(7);
    expect(ids.sort()).toEqual([...NAMED.map(([id]) => id), ...FILLERS, LAST].sort());
    const ada = pages.flatMap((p) => p.items).find((c) => c.id === 'cus_ada');
    expect(ada).toEqual({
      id: 'cus_ada',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      createdAt: new Date(T0).toISOString(),
    });
    // The default page size is 20.
    expect(((await get('')).body as Page).items).toHaveLength(20);
  });

  it("never lists another tenant's customers, and another tenant never lists these", async () => {
    const { ids } = await walk('?limit=100');
    expect(ids).toHaveLength(NAMED.length + FILLERS.length + 1);
    const dev = ((await get('?limit=100')).body as Page).items;
    expect(dev.some((c) => c.email.endsWith('@globex.io'))).toBe(false);
    const theirs = await get('?limit=100', globex);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({
      items: [
        {
          id: 'cus_ada',
          email: 'ada@globex.io',
          name: 'Ada of Globex',
          createdAt: expect.any(String) as unknown,
        },
        {
          id: 'cus_zed',
          email: 'zed@globex.io',
          name: 'Zed',
          createdAt: expect.any(String) as unknown,
        },
      ],
      nextCursor: null,
    });
    const search = await walk('?q=ada', globex);
    expect(search.ids).toEqual(['cus_ada']);
    expect(search.pages.flatMap((p) => p.items)[0]?.email).toBe('ada@globex.io');
  });

  it.each([
    // An id matches by its start only; email and name anywhere; case never matters.
    ['ADA', ['adam-1', 'cus_ada']],
    ['cus_', ['cus_ada', 'cus_alan', 'cus_grace']],
    ['_gr', []],
    ['  hopper  ', ['cus_grace']],
    ['lovelace', ['cus_ada']],
    ['EXAMPLE.ORG', ['adam-1']],
    ['bletchley', ['cus_alan']],
    ['zz-', [LAST]],
    ['nobody-at-all', []],
  ])('q=%j finds %j', async (q, expected) => {
    const { ids } = await walk(`?limit=20&q=${encodeURIComponent(q)}`);
    expect(ids.sort()).toEqual([...expected].sort());
  });

  it('pages a search: never more than limit, none skipped or repeated, maybe an empty page before the end', async () => {
    const fillers = await walk('?limit=4&q=filler');
    for (const page of fillers.pages) expect(page.items.length).toBeLessThanOrEqual(4);
    expect(fillers.ids).toEqual(FILLERS);

    // One match at the very end of 30: a page reads at most 10 × limit customers, so with
    // limit 1 the first pages are empty, and nextCursor says to go on.
    const sparse = await walk(`?limit=1&q=${LAST}`);
    expect(sparse.ids).toEqual([LAST]);
    expect(sparse.pages[0]).toEqual({ items: [], nextCursor: expect.any(String) as unknown });
    expect(sparse.pages.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses bad input with a 400 problem naming the field', async () => {
    const cases: [string, string, RegExp][] = [
      [`?q=${'x'.repeat(101)}`, 'q', /1 to 100 characters/],
      ['?q=%20%20%20', 'q', /1 to 100 characters/],
      ['?q=', 'q', /1 to 100 characters/],
      ['?limit=0', 'limit', /./],
      ['?limit=101', 'limit', /./],
      ['?limit=ten', 'limit', /./],
      ['?cursor=not-a-cursor', 'cursor', /not a cursor of this API/],
      ['?unknown=1', '(root)', /./],
    ];
    for (const [query, field, message] of cases) {
      const res = await get(query);
      expect({ query, status: res.status, type: res.headers['content-type'] }).toEqual({
        query,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/) as unknown,
      });
      const errors = (res.body as { errors: { in: string; field: string; message: string }[] })
        .errors;
      expect(errors).toEqual([
        expect.objectContaining({
          in: 'query',
          field,
          message: expect.stringMatching(message) as unknown,
        }),
      ]);
    }
    // 100 characters is still a search.
    expect((await get(`?q=${'x'.repeat(100)}`)).status).toBe(200);
  });

  it("refuses another tenant's cursor and another listing's", async () => {
    const first = (await get('?limit=2')).body as Page;
    expect(first.nextCursor).not.toBeNull();
    const cursor = encodeURIComponent(first.nextCursor ?? '');
    expect((await get(`?limit=2&cursor=${cursor}`)).status).toBe(200);
    // The same cursor with a search goes on from the same place.
    expect((await get(`?limit=2&q=filler&cursor=${cursor}`)).status).toBe(200);
    const foreign = await get(`?limit=2&cursor=${cursor}`, globex);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({
      errors: [
        {
          in: 'query',
          field: 'cursor',
          message: expect.stringMatching(/another listing/) as unknown,
        },
      ],
    });
    await store.coupons.issue({
      id: 'dev~cus_ada:1',
      customerId: 'dev~cus_ada',
      value: { amountMinor: 500, currency: 'USD' },
      status: 'issued',
      issuedAt: new Date(T0),
      redeemedAt: null,
      redeemedBy: null,
    });
    await store.coupons.issue({
      id: 'dev~cus_ada:2',
      customerId: 'dev~cus_ada',
      value: { amountMinor: 500, currency: 'USD' },
      status: 'issued',
      issuedAt: new Date(T0),
      redeemedAt: null,
      redeemedBy: null,
    });
    const coupons = await request(app)
      .get('/v1/customers/cus_ada/coupons?limit=1')
      .set('Authorization', auth);
    const couponCursor = encodeURIComponent((coupons.body as Page).nextCursor ?? '');
    expect((await get(`?cursor=${couponCursor}`)).status).toBe(400);
  });

  it('needs customers:read', async () => {
    const loyaltyOnly = await tenantKey(store, 'dev', 'restricted', ['loyalty:read']);
    expect((await get('', loyaltyOnly)).status).toBe(403);
    const readOnly = await tenantKey(store, 'dev', 'read_only');
    expect((await get('', readOnly)).status).toBe(200);
  });
});

describe('listCustomers: the work of one search is bounded', () => {
  it(`reads the listing at most ${SEARCH_READS} times, each for the items still missing`, async () => {
    const store = createInMemoryRepository();
    for (let n = 0; n < 500; n++)
      await store.customers.create(customer('dev', `c-${n}`, `Name ${n}`, `c${n}@example.com`));
    const asked: number[] = [];
    const counting: Pick<CustomersPort, 'listByTenant'> = {
      listByTenant: (tenantId, page) => {
        asked.push(page?.limit ?? 20);
        return store.customers.listByTenant(tenantId, page);
      },
    };
    const cursors = signedCursors('a-secret-of-at-least-some-length');
    const none = await listCustomers(counting, cursors, 'dev', { limit: 7, q: 'no-match' });
    expect(none.items).toEqual([]);
    expect(none.nextCursor).not.toBeNull();
    expect(asked).toEqual(Array.from({ length: SEARCH_READS }, () => 7));

    asked.length = 0;
    // Name 1, 10..19, 100..199: one page of 5, with what it read asked in shrinking pages.
    const some = await listCustomers(counting, cursors, 'dev', { limit: 5, q: 'name 1' });
    expect(some.items).toHaveLength(5);
    expect(asked.length).toBeLessThanOrEqual(SEARCH_READS);
    expect(asked.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SEARCH_READS * 5);
    for (let i = 1; i < asked.length; i++) expect(asked[i]).toBeLessThanOrEqual(asked[i - 1] ?? 0);
  });
});
