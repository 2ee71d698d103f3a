import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps } from './app';
import { idFromIdempotencyKey } from './http/idempotency';

const KEY = 'unit-test-secret-0123456789';
// Nothing listens on port 1: every Temporal call fails as "unavailable".
const unreachableTemporal = new Client({
  connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }),
});

function testApp(store: InMemoryRepository, overrides: Partial<AppDeps> = {}) {
  return createApp({
    logger: pino({ level: 'silent' }),
    temporal: unreachableTemporal,
    repository: store,
    apiKeys: [{ name: 'unit', secret: KEY }],
    readiness: { database: () => store.ping() },
    readinessTimeoutMs: 200,
    ...overrides,
  });
}

describe('createApp: health and errors', () => {
  let store: InMemoryRepository;
  let temporalUp: boolean;
  const app = () =>
    testApp(store, {
      readiness: {
        temporal: () =>
          temporalUp ? Promise.resolve() : Promise.reject(new Error('connection refused')),
        database: () => store.ping(),
      },
    });

  beforeEach(() => {
    store = createInMemoryRepository();
    temporalUp = true;
  });

  it('GET /healthz answers without consulting any dependency', async () => {
    store.setAvailable(false);
    temporalUp = false;
    await request(app()).get('/healthz').expect(200, { status: 'ok' });
  });

  it('GET /readyz is 200 when Temporal and the database answer', async () => {
    await request(app())
      .get('/readyz')
      .expect(200, { status: 'ready', checks: { temporal: 'up', database: 'up' } });
  });

  it('GET /readyz is 503 at once while draining, whatever the dependencies say', async () => {
    let draining = false;
    const drainable = testApp(store, { readiness: {}, draining: () => draining });
    await request(drainable).get('/readyz').expect(200);
    draining = true;
    const res = await request(drainable).get('/readyz').expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ detail: 'Shutting down: finishing the requests in flight' });
    await request(drainable).get('/healthz').expect(200);
  });

  it('GET /readyz is a 503 problem naming what is down, with Retry-After', async () => {
    store.setAvailable(false);
    const res = await request(app()).get('/readyz').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'Not ready: database is unreachable',
      checks: { temporal: 'up', database: 'down' },
    });
  });

  it('treats a hanging dependency as down instead of hanging the probe', async () => {
    const hanging = testApp(store, {
      readiness: {
        temporal: () => new Promise(() => undefined),
        database: () => Promise.resolve(),
      },
      readinessTimeoutMs: 100,
    });
    const res = await request(hanging).get('/readyz').expect(503);
    expect((res.body as { detail: string }).detail).toBe('Not ready: temporal is unreachable');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await request(app())
      .get('/v1/nothing-here')
      .set('Authorization', `Bearer ${KEY}`)
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('answers malformed JSON and oversized bodies with 4xx problems that leak nothing', async () => {
    const bad = await request(app())
      .post('/v1/anything')
      .set('Authorization', `Bearer ${KEY}`)
      .set('content-type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(bad.body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'The request body is not valid JSON',
    });
    const huge = await request(app())
      .post('/v1/anything')
      .set('Authorization', `Bearer ${KEY}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(70_000) }))
      .expect(413);
    expect((huge.body as { detail: string }).detail).toBe('The request body is too large');
    expect(JSON.stringify(huge.body)).not.toMatch(/at |node_modules/);
  });

  it("echoes a caller's well-formed request id and replaces a malformed one", async () => {
    const kept = await request(app()).get('/healthz').set('x-request-id', 'req-123').expect(200);
    expect(kept.headers['x-request-id']).toBe('req-123');
    const replaced = await request(app())
      .get('/healthz')
      .set('x-request-id', 'bad id\twith spaces')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers and hides the framework', async () => {
    const res = await request(app()).get('/healthz');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 503 with Retry-After when Temporal is unreachable, and writes nothing', async () => {
    await store.customers.create({
      id: 'dev~cus-1',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date(),
    });
    // A customer with a program already: the purchase goes straight to the Update.
    await store.loyalty.addPoints('dev~cus-1', 0, new Date());
    const res = await request(app())
      .post('/v1/customers/cus-1/purchases')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ purchaseId: 'order-1', total: 100, currency: 'USD' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    // The Update's deadline (10 s) ends the client's retries of the unreachable server.
    expect(res.body).toMatchObject({
      title: 'Service Unavailable',
      detail: expect.stringMatching(/^Temporal or the workflow did not answer in time/) as unknown,
    });
    await expect(
      store.purchases.get('dev~cus-1', { source: 'purchase', purchaseId: 'order-1' }),
    ).rejects.toThrow(/not/);
  });

  it('answers 503 with Retry-After when the database is unavailable', async () => {
    store.setAvailable(false);
    const res = await request(app())
      .get('/v1/customers/cus-1')
      .set('Authorization', `Bearer ${KEY}`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ detail: 'The database is unavailable' });
  });

  it('rate-limits per API key with a 429 problem and Retry-After', async () => {
    const limited = testApp(store, { rateLimitPerMinute: 2 });
    const get = () =>
      request(limited).get('/v1/customers/nobody').set('Authorization', `Bearer ${KEY}`);
    expect((await get()).status).toBe(404);
    expect((await get()).status).toBe(404);
    const third = await get();
    expect(third.status).toBe(429);
    expect(third.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('createApp: idempotent create after Temporal forgot the run (issue #13, defect 9)', () => {
  /** A Temporal client that has forgotten every run: describe says not found; start is counted. */
  function forgetfulTemporal() {
    const starts: unknown[] = [];
    const notFound = () =>
      Promise.reject(new WorkflowNotFoundError('retention expired', 'any', undefined));
    const client = {
      workflow: {
        start: (...args: unknown[]) => {
          starts.push(args);
          return Promise.resolve({});
        },
        getHandle: () => ({ describe: notFound, query: notFound }),
      },
      withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    };
    return { client: client as unknown as Client, starts };
  }

  const body = {
    customerId: 'cus-9',
    paymentMethod: 'pm_card_visa',
    price: { amountMinor: 1999, currency: 'USD' },
    interval: { unit: 'month', count: 1 },
  };

  async function storeWithSubscription(id: string) {
    const store = createInMemoryRepository();
    // Stored in the environment keys' tenant (`dev`), as the API stores it.
    await store.customers.create({
      id: 'dev~cus-9',
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: new Date('2026-01-01T00:00:00Z'),
    });
    // What the workflow projected before it closed and Temporal's retention removed it.
    await store.subscriptions.save({
      id: `dev~${id}`,
      customerId: 'dev~cus-9',
      status: 'canceled',
      price: { amountMinor: 2499, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
      anchorAt: new Date('2026-01-31T09:00:00Z'),
      timeZone: 'UTC',
      nextChargeAt: null,
      periodsBilled: 3,
      canceledAt: new Date('2026-04-02T00:00:00Z'),
      cancelEffectiveAt: new Date('2026-04-02T00:00:00Z'),
      cancelReason: 'customer_request',
      pausedAt: null,
      version: 9,
      updatedAt: new Date('2026-04-02T00:00:00Z'),
    });
    return store;
  }

  it('answers the stored subscription and starts nothing (period 1 is not charged again)', async () => {
    const id = idFromIdempotencyKey('sub', 'dev', 'create-once');
    const store = await storeWithSubscription(id);
    const temporal = forgetfulTemporal();
    const res = await request(testApp(store, { temporal: temporal.client }))
      .post('/v1/subscriptions')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Idempotency-Key', 'create-once')
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      status: 'canceled',
      periodsBilled: 3,
      source: 'projection',
      // The tenant-qualified id Temporal knows it by: what the console links to in the Web UI.
      workflowId: `subscription:dev~${id}`,
    });
    expect(temporal.starts).toEqual([]);
  });

  it('the same key with another customer or interval is still a 409', async () => {
    const id = idFromIdempotencyKey('sub', 'dev', 'create-once');
    const store = await storeWithSubscription(id);
    await store.customers.create({
      id: 'dev~cus-10',
      email: 'bob@example.com',
      name: 'Bob',
      createdAt: new Date('2026-01-01T00:00:00Z'),
    });
    const temporal = forgetfulTemporal();
    const res = await request(testApp(store, { temporal: temporal.client }))
      .post('/v1/subscriptions')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Idempotency-Key', 'create-once')
      .send({ ...body, customerId: 'cus-10' });
    expect(res.status).toBe(409);
    expect(temporal.starts).toEqual([]);
  });
});

describe('createApp: /metrics and the docs', () => {
  const store = createInMemoryRepository();

  it('serves /metrics to its own token only, never to a business key', async () => {
    const app = testApp(store, { metricsAccess: { token: 'scrape-token-0123456789' } });
    const anonymous = await request(app).get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="metrics"/);
    await request(app).get('/metrics').set('Authorization', `Bearer ${KEY}`).expect(401);
    const scraped = await request(app)
      .get('/metrics')
      .set('Authorization', 'Bearer scrape-token-0123456789')
      .expect(200);
    expect(scraped.text).toContain('http_request_duration_seconds');
  });

  it('has no /metrics when it is off (served on METRICS_PORT instead), nor docs when private', async () => {
    const app = testApp(store, { metricsAccess: 'off', publicDocs: false });
    await request(app).get('/metrics').set('Authorization', `Bearer ${KEY}`).expect(404);
    await request(app).get('/openapi.json').expect(404);
    await request(app).get('/docs/').expect(404);
  });
});
