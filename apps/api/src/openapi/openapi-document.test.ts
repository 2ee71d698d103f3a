import { currencySchema } from '@invincible/astra-repo';
import { createInMemoryRepository, exampleSubscription } from '@invincible/astra-repo/testing';
import { isTimeZone } from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../app';
import { TIME_ZONES } from '../schemas/common';
import { OpenApiConformance } from '../testing/openapi-conformance';

const KEY = 'unit-test-secret-0123456789';

/**
 * `currency` and `timeZone` are enums in the document, and the server accepts exactly what they
 * list: a generator that picks from the document (schemathesis) makes valid subscriptions.
 */
describe('OpenAPI document: currencies and time zones are the enums the server validates with', () => {
  const app = createApp({
    logger: pino({ level: 'silent' }),
    // Nothing listens on port 1: a request that passes validation ends as a 503, never a 400.
    temporal: new Client({
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }),
    }),
    repository: createInMemoryRepository(),
    apiKeys: [{ name: 'unit', secret: KEY }],
    readiness: {},
  });

  interface Schema {
    enum?: string[];
    properties?: Record<string, Schema>;
  }
  let schemas: Record<string, Schema>;
  beforeAll(async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    schemas = (res.body as { components: { schemas: Record<string, Schema> } }).components.schemas;
  });

  it('lists every ISO 4217 code of @invincible/money as the enum of Money.currency', () => {
    const listed = schemas['Money']?.properties?.['currency']?.enum;
    expect(listed).toEqual([...currencySchema.options]);
    expect(listed).toEqual(expect.arrayContaining(['USD', 'EUR', 'JPY', 'BHD']));
    expect(listed).not.toContain('XTS');
  });

  it('lists UTC and the IANA zones as the enum of CreateSubscription.timeZone', () => {
    const listed = schemas['CreateSubscription']?.properties?.['timeZone']?.enum;
    expect(listed).toEqual([...TIME_ZONES]);
    expect(listed).toEqual(expect.arrayContaining(['UTC', 'Europe/Paris', 'America/New_York']));
    expect(new Set(listed).size).toBe(listed?.length);
    // Every listed zone is one the workflow's input check accepts too.
    expect(listed?.filter((zone) => !isTimeZone(zone))).toEqual([]);
  });

  async function create(price: { currency: string }, timeZone?: string) {
    return request(app)
      .post('/v1/subscriptions')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Idempotency-Key', `k-${Math.random()}`)
      .send({
        customerId: 'cus_ada',
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1_000, ...price },
        interval: { unit: 'month', count: 1 },
        ...(timeZone === undefined ? {} : { timeZone }),
      });
  }

  const invalidFields = (res: request.Response) =>
    res.status === 400
      ? (res.body as { errors: { field: string }[] }).errors.map((e) => e.field)
      : [];

  it('accepts what the enums list', async () => {
    for (const [currency, timeZone] of [
      ['USD', 'UTC'],
      ['JPY', 'Asia/Tokyo'],
      ['EUR', 'Europe/Paris'],
    ] as const) {
      expect(invalidFields(await create({ currency }, timeZone))).toEqual([]);
    }
  });

  it('refuses what they do not list, naming the field', async () => {
    for (const currency of ['usd', 'XTS', 'US', '']) {
      expect(invalidFields(await create({ currency }))).toEqual(['price.currency']);
    }
    for (const timeZone of ['US/Pacific', 'europe/paris', '+01:00', 'Mars/Olympus']) {
      expect(invalidFields(await create({ currency: 'USD' }, timeZone))).toEqual(['timeZone']);
    }
  });
});

/**
 * The operator console's reads (issue #18) as the document describes them: valid OpenAPI 3.1,
 * the named components the console is built against, and every answer (pages, problems) valid
 * against its operation's schema.
 */
describe("OpenAPI document: the console's reads", () => {
  const store = createInMemoryRepository();
  const app = createApp({
    logger: pino({ level: 'silent' }),
    temporal: new Client({
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }),
    }),
    repository: store,
    apiKeys: [{ name: 'unit', secret: KEY }],
    readiness: {},
  });
  let document: {
    paths: Record<string, Record<string, { operationId?: string }>>;
    components: { schemas: Record<string, unknown> };
  };
  let spec: OpenApiConformance;

  beforeAll(async () => {
    document = (await request(app).get('/openapi.json').expect(200)).body as typeof document;
    spec = new OpenApiConformance(document);
    await store.customers.create({
      id: 'dev~cus_ada',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date('2026-05-01T00:00:00Z'),
    });
    await store.customers.create({
      id: 'dev~cus_bob',
      email: 'bob@example.com',
      name: 'Bob',
      createdAt: new Date('2026-05-01T00:00:00Z'),
    });
    await store.purchases.record({
      customerId: 'dev~cus_ada',
      source: 'charge',
      purchaseId: 'dev~sub_1:1:1',
      total: { amountMinor: 1999, currency: 'EUR' },
      points: 1999,
      processedAt: new Date('2026-05-02T00:00:00Z'),
      countedBy: 'run:1',
      requestId: null,
      balanceAfter: 1999,
      couponsIssued: [],
    });
    await store.subscriptions.save({
      ...exampleSubscription('dev~sub_1', 'dev~cus_ada', 1),
    });
    await store.charges.record({
      subscriptionId: 'dev~sub_1',
      period: 1,
      attempt: 1,
      customerId: 'dev~cus_ada',
      amount: { amountMinor: 1999, currency: 'EUR' },
      outcome: 'succeeded',
      providerRef: 'ch_1',
      failureCode: null,
      occurredAt: new Date(),
    });
  });

  it('is a valid OpenAPI 3.1 document with the three operations and their components', async () => {
    await expect(OpenApiConformance.validateDocument(document)).resolves.toEqual([]);
    const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method} ${path} ${op.operationId}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'get /v1/customers listCustomers',
        'get /v1/customers/{customerId}/purchases listPurchases',
        'post /v1/customers/{customerId}/purchases recordPurchase',
        'get /v1/overview getOverview',
      ]),
    );
    for (const id of ['CustomerPage', 'Purchase', 'PurchasePage', 'Overview', 'ChargeDay'])
      expect(Object.keys(document.components.schemas)).toContain(id);
  });

  it.each([
    ['/v1/customers?limit=1', 200],
    ['/v1/customers?q=ADA', 200],
    ['/v1/customers?q=', 400],
    ['/v1/customers?cursor=forged', 400],
    ['/v1/customers/cus_ada/purchases', 200],
    ['/v1/customers/cus_nobody/purchases', 404],
    ['/v1/customers/cus_ada/purchases?limit=1000', 400],
    ['/v1/overview', 200],
  ])('GET %s answers %i as the document says', async (url, status) => {
    const res = await request(app).get(url).set('Authorization', `Bearer ${KEY}`);
    expect(res.status).toBe(status);
    expect(() => spec.check('get', url, res)).not.toThrow();
  });
});
