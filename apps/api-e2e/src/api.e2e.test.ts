import { randomBytes } from 'node:crypto';
import { LocalStack, pause } from './local-stack';

/**
 * The product end to end, over HTTP only: `npm start` brings up the api and both workers on
 * real Temporal and Cassandra; this suite is a client of the API and nothing else. The third run
 * keeps the business data on a self-managed Data API instead: the test run's Data API emulator,
 * served over HTTP with the rules a real one answered (equality filters only, 5 collections,
 * unsorted paging by page state).
 */
describe.each([
  ['the dev server', 'INVINCIBLE_TEST_TEMPORAL_ADDRESS', 'd', 'cassandra'],
  ['Temporal on Cassandra', 'INVINCIBLE_TEST_TEMPORAL_CASSANDRA_ADDRESS', 'c', 'cassandra'],
  ['the dev server, data on a Data API', 'INVINCIBLE_TEST_TEMPORAL_ADDRESS', 'a', 'data-api'],
] as const)(
  'Invincible end to end on %s (npm start, HTTP only)',
  (_server, temporalVariable, tag, db) => {
    jest.setTimeout(300_000);
    const run = `${Date.now().toString(36)}${tag}`;
    const apiKey = `e2e_${randomBytes(16).toString('hex')}`;
    const stack = new LocalStack({
      namespace: `e2e-${run}`,
      keyspace: `e2e_${run}`,
      apiKey,
      temporalVariable,
      database: db,
    });

    beforeAll(() => stack.start(), 240_000);
    afterAll(() => stack.stop(), 60_000);

    interface Reply<T = Record<string, unknown>> {
      readonly status: number;
      readonly body: T;
    }
    async function http<T = Record<string, unknown>>(
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<Reply<T>> {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    }

    async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await pause(500);
      }
    }

    async function newCustomer(name: string): Promise<string> {
      const id = `cus-${run}-${name}`;
      const res = await http('POST', '/v1/customers', {
        id,
        email: `${name}@example.com`,
        name,
      });
      expect(res.status).toBe(201);
      return id;
    }

    interface Charge {
      period: number;
      attempt: number;
      outcome: string;
      amount: { amountMinor: number };
    }

    it('serves its OpenAPI document and docs, and refuses calls without a key', async () => {
      const spec = await fetch(`${stack.baseUrl}/openapi.json`);
      expect(spec.status).toBe(200);
      expect(((await spec.json()) as { openapi: string }).openapi).toBe('3.1.0');
      expect((await fetch(`${stack.baseUrl}/docs/`)).status).toBe(200);
      const anonymous = await fetch(`${stack.baseUrl}/v1/customers/anyone`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('subscribes, charges each period, applies a price change next period, cancels and emails', async () => {
      const customerId = await newCustomer('ada');
      const created = await http<{ id: string }>(
        'POST',
        '/v1/subscriptions',
        {
          customerId,
          paymentMethod: 'pm_card_visa',
          price: { amountMinor: 1_000, currency: 'USD' },
          interval: { unit: 'second', count: 4 },
        },
        { 'Idempotency-Key': `sub-${run}` },
      );
      expect(created.status).toBe(201);
      const id = created.body.id;
      const charges = async () =>
        (await http<{ items: Charge[] }>('GET', `/v1/subscriptions/${id}/charges?limit=100`)).body
          .items;
      await eventually('the first charge', async () =>
        (await charges()).length >= 1 ? true : undefined,
      );

      const change = await http<{ fromPeriod: number }>('POST', `/v1/subscriptions/${id}/price`, {
        price: { amountMinor: 1_500, currency: 'USD' },
      });
      expect(change.status).toBe(200);
      const from = change.body.fromPeriod;
      const ledger = await eventually('a charge at the new price', async () => {
        const all = await charges();
        return all.some((c) => c.period === from) ? all : undefined;
      });
      for (const charge of ledger) {
        expect(charge).toMatchObject({
          outcome: 'succeeded',
          amount: { amountMinor: charge.period < from ? 1_000 : 1_500 },
        });
      }

      const cancel = await http('POST', `/v1/subscriptions/${id}/cancel`, { mode: 'now' });
      expect(cancel.status).toBe(200);
      expect((await http('POST', `/v1/subscriptions/${id}/cancel`, { mode: 'now' })).status).toBe(
        409,
      );
      const emails = await eventually('the cancellation email', async () => {
        const page = await http<{ items: { id: string; template: string }[] }>(
          'GET',
          `/v1/customers/${customerId}/emails?limit=100`,
        );
        return page.body.items.some((e) => e.template === 'canceled') ? page.body.items : undefined;
      });
      // One cancellation, one email (its id names the cancellation: a second one would not hide it).
      expect(emails.filter((e) => e.template === 'canceled')).toHaveLength(1);
      expect(emails.find((e) => e.template === 'canceled')?.id).toMatch(
        new RegExp(`^${id}:canceled:cancel-\\d+$`),
      );

      // Every successful charge earned its amount in points exactly once (purchaseId = charge key).
      const billed = (await charges()).filter((c) => c.outcome === 'succeeded');
      const expected = billed.reduce((sum, c) => sum + c.amount.amountMinor, 0);
      const points = await eventually('the points of every charge', async () => {
        const view = await http<{ lifetimePoints: number }>(
          'GET',
          `/v1/customers/${customerId}/loyalty`,
        );
        return view.body.lifetimePoints >= expected ? view.body.lifetimePoints : undefined;
      });
      expect(points).toBe(expected);
      const after = await http<{ status: string }>('GET', `/v1/subscriptions/${id}`);
      expect(after.body.status).toBe('canceled');
    });

    it('counts purchases once, issues a coupon at the threshold and redeems it once', async () => {
      const customerId = await newCustomer('grace');
      const purchase = (purchaseId: string, total: number) =>
        http<{ counted: boolean; couponsIssued: string[] }>(
          'POST',
          `/v1/customers/${customerId}/purchases`,
          { purchaseId, total, currency: 'USD' },
        );
      expect((await purchase('order-1', 6_000)).status).toBe(201);
      // A retry of the same request: the first answer, nothing added.
      expect((await purchase('order-1', 6_000)).body.counted).toBe(true);
      const crossing = await purchase('order-2', 5_000);
      expect(crossing.body.couponsIssued).toEqual([`${customerId}:1`]);

      const balance = await http('GET', `/v1/customers/${customerId}/loyalty`);
      expect(balance.body).toMatchObject({
        balance: 1_000,
        lifetimePoints: 11_000,
        couponsIssued: 1,
      });
      const coupons = await http<{ items: { id: string }[] }>(
        'GET',
        `/v1/customers/${customerId}/coupons`,
      );
      expect(coupons.body.items.map((c) => c.id)).toEqual([`${customerId}:1`]);

      const redeem = `/v1/customers/${customerId}/coupons/${customerId}:1/redeem`;
      expect((await http('POST', redeem)).status).toBe(200);
      const second = await http('POST', redeem);
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({ title: 'Conflict' });
    });
  },
);
