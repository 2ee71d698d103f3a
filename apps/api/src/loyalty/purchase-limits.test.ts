import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import request from 'supertest';
import { auth, T0, testApp } from '../testing/unit-app';

/** Purchases (issue #15): bounded totals and a purchaseId whose total the ledger decides. */

describe('purchases: bounded totals and a ledger-checked purchaseId', () => {
  let store: InMemoryRepository;
  beforeEach(async () => {
    store = createInMemoryRepository();
    await store.customers.create({
      id: 'dev~cus_1',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date(T0),
    });
    await store.purchases.record({
      customerId: 'dev~cus_1',
      source: 'purchase',
      purchaseId: 'p-1',
      total: { amountMinor: 1250, currency: 'USD' },
      points: 1250,
      processedAt: new Date(T0),
      countedBy: 'run-1:1',
      requestId: 'purchase:p-1',
      balanceAfter: 1250,
      couponsIssued: [],
    });
  });
  const purchase = (body: object) =>
    request(testApp(store))
      .post('/v1/customers/cus_1/purchases')
      .set('Authorization', auth)
      .send(body);

  it.each([
    ['another total', { purchaseId: 'p-1', total: 9_999, currency: 'USD' }],
    ['another currency', { purchaseId: 'p-1', total: 1250, currency: 'EUR' }],
  ])('the same purchaseId with %s is a 409, decided from the ledger', async (_what, body) => {
    const res = await purchase(body).expect(409);
    expect((res.body as { detail: string }).detail).toMatch(
      /purchase p-1 was recorded with 12\.50 USD|p-1/,
    );
  });

  it('the same purchase resent identically goes on to the workflow (its first answer)', async () => {
    await purchase({ purchaseId: 'p-1', total: 1250, currency: 'USD' }).expect(503);
  });

  it('a total whose points exceed 100 coupons is a 422 before any workflow is touched', async () => {
    const res = await purchase({
      purchaseId: 'boom-1',
      total: 9_007_199_254_740_990,
      currency: 'USD',
    }).expect(422);
    expect((res.body as { detail: string }).detail).toMatch(
      /at most 1000000 points \(100 coupons\)/,
    );
    // The cap itself is accepted: 10,000.00 USD earn exactly 100 coupons.
    await purchase({ purchaseId: 'cap-1', total: 1_000_000, currency: 'USD' }).expect(503);
    await purchase({ purchaseId: 'cap-2', total: 1_000_100, currency: 'USD' }).expect(422);
  });

  it('a total beyond Number.MAX_SAFE_INTEGER is a 400', async () => {
    const res = await request(testApp(store))
      .post('/v1/customers/cus_1/purchases')
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send('{"purchaseId":"big-1","total":9007199254740993,"currency":"USD"}')
      .expect(400);
    expect((res.body as { errors: { in: string; field: string }[] }).errors).toContainEqual(
      expect.objectContaining({ in: 'body', field: 'total' }),
    );
  });
});
