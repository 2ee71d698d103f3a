import { currencySchema } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { isTimeZone } from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../app';
import { TIME_ZONES } from '../schemas/common';

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
