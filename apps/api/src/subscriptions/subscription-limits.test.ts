import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps } from '../app';

/** Subscriptions (issue #15): a minimum billing interval and bounds on startAt. */
const KEY = 'unit-test-secret-0123456789';
const auth = `Bearer ${KEY}`;
// Nothing listens on port 1: a request that reaches Temporal answers 503, one refused before, not.
const unreachableTemporal = new Client({
  connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }),
});

const T0 = Date.parse('2026-06-01T12:00:00Z');

function testApp(store: InMemoryRepository, overrides: Partial<AppDeps> = {}) {
  return createApp({
    logger: pino({ level: 'silent' }),
    temporal: unreachableTemporal,
    repository: store,
    apiKeys: [{ name: 'unit', secret: KEY }],
    readiness: {},
    now: () => new Date(T0),
    // A request that reaches Temporal gives up quickly: 503.
    updateTimeoutMs: 300,
    ...overrides,
  });
}

describe('subscriptions: minimum billing interval and startAt bounds', () => {
  let store: InMemoryRepository;
  beforeEach(async () => {
    store = createInMemoryRepository();
    await store.customers.create({
      id: 'cus_1',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date(T0),
    });
  });
  let n = 0;
  const create = (app: ReturnType<typeof testApp>, body: object) =>
    request(app)
      .post('/v1/subscriptions')
      .set('Authorization', auth)
      .set('Idempotency-Key', `limits-${++n}`)
      .send({
        customerId: 'cus_1',
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1999, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
        ...body,
      });
  /** Past the limits: the next check, the customer's existence, answers (no Temporal needed). */
  const passesLimits = async (app: ReturnType<typeof testApp>, body: object) => {
    const res = await create(app, { ...body, customerId: 'cus_missing' }).expect(422);
    expect((res.body as { detail: string }).detail).toBe('customer cus_missing does not exist');
  };
  const production = (overrides: Partial<AppDeps> = {}) =>
    testApp(store, {
      limits: {
        minBillingInterval: 'hour',
        startAtMaxBackdateMs: 86_400_000,
        startAtMaxAheadMs: 365 * 86_400_000,
      },
      ...overrides,
    });

  it.each(['second', 'minute'])(
    'refuses a per-%s interval below the minimum with 422',
    async (unit) => {
      const res = await create(production(), { interval: { unit, count: 30 } }).expect(422);
      expect((res.body as { detail: string }).detail).toBe(
        `interval: ${unit} billing is not allowed here; the shortest unit is hour`,
      );
    },
  );

  it('lets a request through when allowShortIntervals says so (a test tenant)', async () => {
    const app = production({ allowShortIntervals: () => true });
    await passesLimits(app, { interval: { unit: 'second', count: 4 } });
  });

  it('accepts an hourly interval at the minimum', async () => {
    await passesLimits(production(), { interval: { unit: 'hour', count: 1 } });
  });

  it.each([
    [
      'two days back',
      { startAt: new Date(T0 - 2 * 86_400_000).toISOString() },
      /more than 1d in the past/,
    ],
    [
      'two hours back, hourly (two past periods)',
      { startAt: new Date(T0 - 2 * 3_600_000).toISOString(), interval: { unit: 'hour', count: 1 } },
      /would bill more than one past period/,
    ],
    [
      'two years ahead',
      { startAt: new Date(T0 + 730 * 86_400_000).toISOString() },
      /more than 365d ahead/,
    ],
  ])('refuses a startAt %s with 422', async (_what, body, message) => {
    const res = await create(production(), body).expect(422);
    expect((res.body as { detail: string }).detail).toMatch(message);
  });

  it.each([
    ['an hour back, monthly', { startAt: new Date(T0 - 3_600_000).toISOString() }],
    [
      '23 hours back, daily',
      { startAt: new Date(T0 - 23 * 3_600_000).toISOString(), interval: { unit: 'day', count: 1 } },
    ],
    ['a month ahead', { startAt: new Date(T0 + 30 * 86_400_000).toISOString() }],
  ])('accepts a startAt %s', async (_what, body) => {
    await passesLimits(production(), body);
  });
});
