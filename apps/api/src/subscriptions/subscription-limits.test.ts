import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps } from '../app';
import { fingerprint } from '../http/idempotency';

/** Subscriptions (issue #15): a minimum billing interval and bounds on startAt. */
const KEY = 'unit-test-secret-0123456789';
const auth = `Bearer ${KEY}`;
const T0 = Date.parse('2026-06-01T12:00:00Z');

/**
 * A Temporal that has started nothing (describe: not found), or, with `memo`, holds the
 * subscription an earlier request started; starts are counted and nothing runs.
 */
function fakeTemporal(memo?: Record<string, unknown>) {
  const starts: unknown[] = [];
  const notFound = () => Promise.reject(new WorkflowNotFoundError('none', 'any', undefined));
  const client = {
    workflow: {
      start: (...args: unknown[]) => {
        starts.push(args);
        return Promise.resolve({});
      },
      // Visibility counts nothing running: quotas never stand in the way here.
      count: () => Promise.resolve({ count: 0, groups: [] }),
      getHandle: () => ({
        describe: () =>
          memo ? Promise.resolve({ status: { name: 'COMPLETED' }, memo }) : notFound(),
        query: notFound,
      }),
    },
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
  };
  return { client: client as unknown as Client, starts };
}

describe('subscriptions: minimum billing interval and startAt bounds', () => {
  let store: InMemoryRepository;
  let temporal: ReturnType<typeof fakeTemporal>;
  beforeEach(async () => {
    store = createInMemoryRepository();
    temporal = fakeTemporal();
    // Stored in the tenant of the environment's keys (`dev`), as the API stores it.
    await store.customers.create({
      id: 'dev~cus_1',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date(T0),
    });
  });

  /** The limits of a production deployment. */
  const production = (overrides: Partial<AppDeps> = {}) =>
    createApp({
      logger: pino({ level: 'silent' }),
      temporal: temporal.client,
      repository: store,
      apiKeys: [{ name: 'unit', secret: KEY }],
      // A production tenant: not a test one.
      devTenant: { id: 'dev', test: false },
      readiness: {},
      now: () => new Date(T0),
      limits: {
        minBillingInterval: 'hour',
        startAtMaxBackdateMs: 86_400_000,
        startAtMaxAheadMs: 365 * 86_400_000,
      },
      ...overrides,
    });
  const subscription = (body: object) => ({
    customerId: 'cus_1',
    paymentMethod: 'pm_card_visa',
    price: { amountMinor: 1999, currency: 'USD' },
    interval: { unit: 'month', count: 1 },
    ...body,
  });
  let n = 0;
  const create = (app: ReturnType<typeof production>, body: object, key = `limits-${++n}`) =>
    request(app)
      .post('/v1/subscriptions')
      .set('Authorization', auth)
      .set('Idempotency-Key', key)
      .send(subscription(body));

  it.each(['second', 'minute'])(
    'refuses a per-%s interval below the minimum with 422, and starts nothing',
    async (unit) => {
      const res = await create(production(), { interval: { unit, count: 30 } }).expect(422);
      expect((res.body as { detail: string }).detail).toBe(
        `interval: ${unit} billing is not allowed here; the shortest unit is hour`,
      );
      expect(temporal.starts).toHaveLength(0);
    },
  );

  it('starts a per-second subscription when allowShortIntervals says so (a test tenant)', async () => {
    const app = production({ allowShortIntervals: () => true });
    await create(app, { interval: { unit: 'second', count: 4 } }).expect(201);
    expect(temporal.starts).toHaveLength(1);
  });

  it("lets a test tenant bill by the second: the default hook reads the caller's tenant", async () => {
    const app = production({ devTenant: { id: 'dev', test: true } });
    await create(app, { interval: { unit: 'second', count: 4 } }).expect(201);
    expect(temporal.starts).toHaveLength(1);
  });

  it('starts an hourly subscription, at the minimum', async () => {
    await create(production(), { interval: { unit: 'hour', count: 1 } }).expect(201);
    expect(temporal.starts).toHaveLength(1);
  });

  it.each([
    [
      'two days back',
      { startAt: new Date(T0 - 2 * 86_400_000).toISOString() },
      /more than 1d in the past/,
    ],
    [
      'two hours back, hourly (two past periods)',
      {
        startAt: new Date(T0 - 2 * 3_600_000).toISOString(),
        interval: { unit: 'hour', count: 1 },
      },
      /would bill more than one past period/,
    ],
    [
      'two years ahead',
      { startAt: new Date(T0 + 730 * 86_400_000).toISOString() },
      /more than 365d ahead/,
    ],
  ])('refuses a startAt %s with 422, and starts nothing', async (_what, body, message) => {
    const res = await create(production(), body).expect(422);
    expect((res.body as { detail: string }).detail).toMatch(message);
    expect(temporal.starts).toHaveLength(0);
  });

  it.each([
    ['an hour back, monthly', { startAt: new Date(T0 - 3_600_000).toISOString() }],
    [
      '23 hours back, daily',
      {
        startAt: new Date(T0 - 23 * 3_600_000).toISOString(),
        interval: { unit: 'day', count: 1 },
      },
    ],
    ['a month ahead', { startAt: new Date(T0 + 30 * 86_400_000).toISOString() }],
  ])('starts a subscription with startAt %s', async (_what, body) => {
    await create(production(), body).expect(201);
    expect(temporal.starts).toHaveLength(1);
  });

  it('answers a retry of a create started within the bounds, after they moved on (200)', async () => {
    // Three hourly periods ago by now: out of bounds for a new start.
    const body = {
      interval: { unit: 'hour', count: 1 },
      startAt: new Date(T0 - 3 * 3_600_000).toISOString(),
    };
    temporal = fakeTemporal({ requestFingerprint: fingerprint(subscription(body)) });
    await create(production(), body, 'limits-retry').expect(200);
    // Under that key, another request is still a conflict.
    temporal = fakeTemporal({ requestFingerprint: 'another request' });
    await create(production(), body, 'limits-retry').expect(409);
    expect(temporal.starts).toHaveLength(0);
  });
});
