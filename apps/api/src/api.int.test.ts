import type { MigratableRepository } from '@invincible/astra-repo';
import {
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  subscriptionWorkflowId,
} from '@invincible/workflows';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { idFromIdempotencyKey } from './http/idempotency';
import { startApiHarness, type ApiHarness } from './testing/api-harness';
import { OpenApiConformance } from './testing/openapi-conformance';

/**
 * The API in process (supertest, no port) on Temporal's time-skipping test server, with the real
 * billing and loyalty workers' workflows and activities over a real Cassandra keyspace. Every
 * response is checked against the API's own OpenAPI document.
 */
describe('API over real workflows (time-skipping)', () => {
  jest.setTimeout(120_000);
  const run = Date.now().toString(36);
  const KEY = 'test-secret-0123456789abcdef';
  const OTHER_KEY = 'other-secret-0123456789abcdef';
  const ADMIN_KEY = 'admin-secret-0123456789abcdef';
  /** Where the environment keys' tenant (`dev`) stores an id of its own. */
  const stored = (id: string) => `dev~${id}`;
  let harness: ApiHarness;
  let env: TestWorkflowEnvironment;
  let repository: MigratableRepository;
  let app: Express;
  let spec: OpenApiConformance;
  const logLines: string[] = [];

  beforeAll(async () => {
    harness = await startApiHarness(`api_${run}`);
    ({ env, repository, spec } = harness);
    app = harness.app({
      ...appDeps(),
      // Log lines are kept to check what they carry (request id, workflow id).
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
    });
  }, 180_000);

  /** What every app of this suite is made of (one more app below answers queries too late). */
  function appDeps() {
    return {
      apiKeys: [
        { name: 'test', secret: KEY },
        { name: 'other', secret: OTHER_KEY },
      ],
      adminKeys: [{ name: 'ops', secret: ADMIN_KEY }],
    };
  }

  afterAll(() => harness?.close());

  /** A request with the API key; its response is checked against the OpenAPI document. */
  async function call(
    method: 'get' | 'post',
    url: string,
    options: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
  ) {
    let req = request(app)[method](url);
    const key = options.key === undefined ? KEY : options.key;
    if (key !== null) req = req.set('Authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
    const res = options.body === undefined ? await req : await req.send(options.body as object);
    spec.check(method, url, res);
    return res;
  }

  const expectProblem = (res: request.Response, status: number) => {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/) as unknown,
    });
    expect(res.body).toMatchObject({ status, title: expect.any(String) as unknown });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|Error:/);
  };

  let seq = 0;
  async function customer(email = 'ada@example.com'): Promise<string> {
    const id = `cus-${run}-${++seq}`;
    const res = await call('post', '/v1/customers', { body: { id, email, name: 'Ada Lovelace' } });
    expect(res.status).toBe(201);
    return id;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  describe('the contract', () => {
    it('serves a valid OpenAPI 3.1 document and a docs page', async () => {
      const document = (await request(app).get('/openapi.json').expect(200)).body as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(document.openapi).toBe('3.1.0');
      await expect(OpenApiConformance.validateDocument(document)).resolves.toEqual([]);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/v1/customers',
          '/v1/subscriptions',
          '/v1/subscriptions/{subscriptionId}/cancel',
          '/v1/customers/{customerId}/purchases',
          '/v1/customers/{customerId}/coupons/{couponId}/redeem',
        ]),
      );
      const docs = await request(app).get('/docs/').expect(200);
      expect(docs.text).toContain('swagger-ui');
    });
  });

  describe('authentication', () => {
    it('needs an API key on /v1, and not on health or docs (nor /metrics in development)', async () => {
      const none = await call('get', '/v1/customers/anyone', { key: null });
      expectProblem(none, 401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expectProblem(
        await call('get', '/v1/customers/anyone', { key: 'not-a-key-at-all-0000' }),
        401,
      );
      await request(app).get('/metrics').expect(200);
      await request(app).get('/healthz').expect(200);
      await request(app).get('/openapi.json').expect(200);
    });

    it('exposes Prometheus metrics: request latency by route and workflow operations', async () => {
      await call('get', '/v1/customers/nobody-here');
      const res = await call('get', '/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(
        /http_request_duration_seconds_bucket\{[^}]*route="\/v1\/customers\/:customerId"[^}]*status="404"/,
      );
      expect(res.text).toContain('invincible_workflow_operations_total');
    });
  });

  describe('customers', () => {
    it('creates idempotently: 201, then 200 with the same body, 409 with another', async () => {
      const id = `cus-${run}-idem`;
      const body = { id, email: 'grace@example.com', name: 'Grace Hopper' };
      const first = await call('post', '/v1/customers', { body });
      expect(first.status).toBe(201);
      expect(first.headers['location']).toBe(`/v1/customers/${id}`);
      expect((await call('post', '/v1/customers', { body })).status).toBe(200);
      expectProblem(
        await call('post', '/v1/customers', { body: { ...body, name: 'Someone Else' } }),
        409,
      );
      const got = await call('get', `/v1/customers/${id}`);
      expect(got.body).toMatchObject({ id, email: 'grace@example.com', name: 'Grace Hopper' });
      expectProblem(await call('get', `/v1/customers/cus-${run}-missing`), 404);
    });

    it('derives the id from the Idempotency-Key when none is given', async () => {
      const body = { email: 'alan@example.com', name: 'Alan Turing' };
      const headers = { 'Idempotency-Key': `k-${run}-customer` };
      const a = await call('post', '/v1/customers', { body, headers });
      const b = await call('post', '/v1/customers', { body, headers });
      expect([a.status, b.status]).toEqual([201, 200]);
      expect(b.body).toEqual(a.body);
    });
  });

  const create = (key: string, body: object, apiKey?: string) =>
    call('post', '/v1/subscriptions', {
      body,
      headers: { 'Idempotency-Key': key },
      ...(apiKey ? { key: apiKey } : {}),
    });

  describe('subscriptions', () => {
    it('bills, changes price from the next period, pauses, resumes and cancels — all over HTTP', async () => {
      const customerId = await customer();
      const body = {
        customerId,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1_999, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      };
      const key = `k-${run}-life`;
      const created = await create(key, body);
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;
      expect(id).toMatch(/^sub_[0-9a-f]{32}$/);

      // Same key, same body: the same subscription. Same key, another body: 409.
      const again = await create(key, body);
      expect(again.status).toBe(200);
      expect((again.body as { id: string }).id).toBe(id);
      expectProblem(
        await create(key, { ...body, price: { amountMinor: 999, currency: 'USD' } }),
        409,
      );
      // Idempotency is per tenant: another key of the same tenant (a rotated one) retrying the
      // same Idempotency-Key gets the same subscription, never a second one.
      const other = await create(key, body, OTHER_KEY);
      expect(other.status).toBe(200);
      expect((other.body as { id: string }).id).toBe(id);

      const charges = async () =>
        (await call('get', `/v1/subscriptions/${id}/charges`)).body as {
          items: { period: number; amount: { amountMinor: number }; outcome: string }[];
        };
      await until('the first charge', async () =>
        (await charges()).items.length >= 1 ? true : undefined,
      );
      // The ledger entry is written before the workflow counts the period billed.
      const live = await until('period 1 billed', async () => {
        const res = await call('get', `/v1/subscriptions/${id}`);
        return (res.body as { periodsBilled: number }).periodsBilled >= 1 ? res : undefined;
      });
      expect(live.body).toMatchObject({
        id,
        customerId,
        status: 'active',
        periodsBilled: 1,
        source: 'workflow',
      });

      const price = await call('post', `/v1/subscriptions/${id}/price`, {
        body: { price: { amountMinor: 2_499, currency: 'USD' } },
      });
      expect(price.body).toEqual({ subscriptionId: id, fromPeriod: 2 });
      expectProblem(
        await call('post', `/v1/subscriptions/${id}/price`, {
          body: { price: { amountMinor: 2_499, currency: 'EUR' } },
        }),
        422,
      );
      await env.sleep('32 days');
      const ledger = await until('the second charge', async () => {
        const page = await charges();
        return page.items.length >= 2 ? page.items : undefined;
      });
      expect(ledger.map((c) => [c.period, c.amount.amountMinor, c.outcome])).toEqual([
        [1, 1_999, 'succeeded'],
        [2, 2_499, 'succeeded'],
      ]);

      const paused = await call('post', `/v1/subscriptions/${id}/pause`);
      expect(paused.body).toMatchObject({ status: 'paused' });
      expectProblem(await call('post', `/v1/subscriptions/${id}/pause`), 409);
      const resumed = await call('post', `/v1/subscriptions/${id}/resume`);
      expect(resumed.body).toMatchObject({ status: 'active' });

      const canceled = await call('post', `/v1/subscriptions/${id}/cancel`, {
        body: { mode: 'now', reason: 'customer_request' },
      });
      expect(canceled.status).toBe(200);
      expectProblem(
        await call('post', `/v1/subscriptions/${id}/cancel`, { body: { mode: 'now' } }),
        409,
      );
      const ended = await until('the projection of the canceled subscription', async () => {
        const res = await call('get', `/v1/subscriptions/${id}`);
        const view = res.body as { status: string; source: string };
        return view.status === 'canceled' && view.source === 'projection' ? view : undefined;
      });
      expect(ended).toMatchObject({ cancel: { reason: 'customer_request' } });
      const emails = await until('the cancellation email', async () => {
        const page = (await call('get', `/v1/customers/${customerId}/emails`)).body as {
          items: { id: string; template: string }[];
        };
        return page.items.some((e) => e.template === 'canceled') ? page.items : undefined;
      });
      const mine = emails.filter((e) => e.id.startsWith(`${id}:`)).map((e) => e.template);
      expect(mine.sort()).toEqual(['canceled', 'receipt', 'receipt']);

      const listed = await until('the subscription in the customer listing', async () => {
        const page = (await call('get', `/v1/customers/${customerId}/subscriptions?limit=10`))
          .body as { items: { id: string }[] };
        return page.items.some((s) => s.id === id) ? page.items : undefined;
      });
      expect(listed.map((s) => s.id)).toContain(id);

      // Its history from the audit log: the changes that succeeded, newest first (the refused
      // price change, pause and cancel are not listed), by whom; an unknown one is a 404.
      const history = await until('the cancellation in the history', async () => {
        const page = (await call('get', `/v1/subscriptions/${id}/events`)).body as {
          items: { action: string; actor: string; status: number }[];
        };
        return page.items[0]?.action === 'canceled' ? page.items : undefined;
      });
      expect(history.map((e) => [e.action, e.actor, e.status])).toEqual([
        ['canceled', 'env:test', 200],
        ['resumed', 'env:test', 200],
        ['paused', 'env:test', 200],
        ['priceChanged', 'env:test', 200],
      ]);
      expectProblem(await call('get', '/v1/subscriptions/sub_unknown/events'), 404);
    });

    it('reads a missing body as empty: field errors, not a media-type error', async () => {
      const res = await call('post', '/v1/customers');
      expectProblem(res, 400);
      expect(
        (res.body as { errors: { field: string }[] }).errors.map((e) => e.field).sort(),
      ).toEqual(['email', 'name']);
    });

    it('requires an Idempotency-Key and an existing customer', async () => {
      const customerId = await customer();
      const body = {
        customerId,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 500, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      };
      const missing = await call('post', '/v1/subscriptions', { body });
      expectProblem(missing, 400);
      expect(missing.body).toMatchObject({
        errors: [{ in: 'header', field: 'Idempotency-Key' }],
      });
      expectProblem(
        await create(`k-${run}-nocust`, { ...body, customerId: `cus-${run}-ghost` }),
        422,
      );
    });

    it('answers a pause and a resume with the state they made, even when no query answers in time', async () => {
      // Queries time out at once here: the read after the Update falls back to the projection,
      // which the workflow saves only after the Update's handler returned.
      const hurried = harness.app({ ...appDeps(), queryTimeoutMs: 1 });
      const customerId = await customer();
      const created = await create(`k-${run}-hurried`, {
        customerId,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 700, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      });
      const id = (created.body as { id: string }).id;
      // The projection exists (the fallback has something to answer from) and is active.
      await until('the projection', async () => {
        const projection = await repository.subscriptions.get(stored(id)).catch(() => undefined);
        return projection?.status === 'active' ? true : undefined;
      });
      const send = async (operation: 'pause' | 'resume') => {
        const res = await request(hurried)
          .post(`/v1/subscriptions/${id}/${operation}`)
          .set('Authorization', `Bearer ${KEY}`);
        spec.check('post', `/v1/subscriptions/${id}/${operation}`, res);
        return res;
      };
      const paused = await send('pause');
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({
        status: 'paused',
        pausedAt: expect.any(String) as unknown,
        source: 'workflow',
      });
      const resumed = await send('resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ status: 'active', pausedAt: null, source: 'workflow' });
    });

    it('answers 404 for an unknown subscription, read or changed', async () => {
      expectProblem(await call('get', '/v1/subscriptions/sub_unknown'), 404);
      // No body at all is the cancel's defaults (mode now), so this reaches the workflow lookup.
      expectProblem(await call('post', '/v1/subscriptions/sub_unknown/cancel'), 404);
      expectProblem(await call('post', '/v1/subscriptions/sub_unknown/pause'), 404);
    });
  });

  describe('loyalty', () => {
    it('counts purchases once, issues a coupon at the threshold, and redeems it once', async () => {
      const customerId = await customer();
      const purchase = (purchaseId: string, total: number) =>
        call('post', `/v1/customers/${customerId}/purchases`, {
          body: { purchaseId, total, currency: 'USD' },
        });
      const first = await purchase('order-1', 4_000);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ points: 4_000, counted: true, balance: 4_000 });
      // A retry is answered with the first answer (the update id is the purchaseId) and adds nothing.
      const retry = await purchase('order-1', 4_000);
      expect({ status: retry.status, body: retry.body as unknown }).toEqual({
        status: first.status,
        body: first.body as unknown,
      });
      const crossing = await purchase('order-2', 7_000);
      expect(crossing.body).toMatchObject({ counted: true, couponsIssued: [`${customerId}:1`] });

      // The same purchase, already counted through the signal: 200, counted false, nothing added.
      await env.client.workflow
        .getHandle(loyaltyWorkflowId(stored(customerId)))
        .signal(notifyPurchaseSignal, {
          purchaseId: 'order-3',
          total: 500,
          currency: 'USD',
          occurredAt: new Date().toISOString(),
        });
      const signalled = await purchase('order-3', 500);
      expect(signalled.status).toBe(200);
      expect(signalled.body).toMatchObject({ counted: false, points: 500 });

      const balance = await call('get', `/v1/customers/${customerId}/loyalty`);
      expect(balance.body).toMatchObject({
        balance: 1_500,
        lifetimePoints: 11_500,
        couponsIssued: 1,
        couponsRedeemed: 0,
      });
      // The id it names is the customer's program in Temporal: it answers a query there.
      const { workflowId } = balance.body as { workflowId: string };
      await expect(env.client.workflow.getHandle(workflowId).describe()).resolves.toMatchObject({
        type: 'loyaltyProgram',
        status: { name: 'RUNNING' },
      });
      const coupons = await call('get', `/v1/customers/${customerId}/coupons`);
      expect(coupons.body).toMatchObject({ items: [{ id: `${customerId}:1`, status: 'issued' }] });

      const couponUrl = `/v1/customers/${customerId}/coupons/${customerId}:1/redeem`;
      const [a, b] = await Promise.all([call('post', couponUrl), call('post', couponUrl)]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      expectProblem(await call('post', couponUrl), 409);
      expectProblem(
        await call('post', `/v1/customers/${customerId}/coupons/${customerId}:9/redeem`),
        404,
      );
    });

    it('answers an empty balance for a customer without purchases, 404 for no customer', async () => {
      const customerId = await customer();
      const res = await call('get', `/v1/customers/${customerId}/loyalty`);
      expect(res.body).toMatchObject({ balance: 0, lifetimePoints: 0 });
      expectProblem(await call('get', `/v1/customers/cus-${run}-nobody/loyalty`), 404);
      expectProblem(
        await call('post', `/v1/customers/cus-${run}-nobody/purchases`, {
          body: { purchaseId: 'p-1', total: 100, currency: 'USD' },
        }),
        404,
      );
    });

    it('a subscription charge earns loyalty points once', async () => {
      const customerId = await customer();
      const created = await create(`k-${run}-earn`, {
        customerId,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 1_500, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      });
      expect(created.status).toBe(201);
      const subscriptionId = (created.body as { id: string }).id;
      // The test server may skip a month while other suites wait on results: compare the points
      // with the charges the ledger holds by then, each of which must have earned them once.
      const { points, charged } = await until('points for every charge', async () => {
        const view = (await call('get', `/v1/customers/${customerId}/loyalty`)).body as {
          lifetimePoints: number;
          balance: number;
        };
        const charges = (
          (await call('get', `/v1/subscriptions/${subscriptionId}/charges`)).body as {
            items: { outcome: string; amount: { amountMinor: number } }[];
          }
        ).items.filter((c) => c.outcome === 'succeeded');
        const sum = charges.reduce((a, c) => a + c.amount.amountMinor, 0);
        return view.lifetimePoints > 0 && view.lifetimePoints === sum
          ? { points: view, charged: sum }
          : undefined;
      });
      expect(charged).toBeGreaterThanOrEqual(1_500);
      expect(charged % 1_500).toBe(0);
      expect(points).toMatchObject({ lifetimePoints: charged, balance: charged % 10_000 });
    });
  });

  describe('observability', () => {
    it('logs each request with its request id and the workflow id it touched', async () => {
      const customerId = await customer();
      const res = await call('post', `/v1/customers/${customerId}/purchases`, {
        body: { purchaseId: 'logged-1', total: 100, currency: 'USD' },
        headers: { 'X-Request-Id': `req-${run}-logged` },
      });
      expect(res.status).toBe(201);
      const entry = logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find(
          (e) =>
            (e['req'] as { id?: unknown } | undefined)?.id === `req-${run}-logged` &&
            e['msg'] === 'request completed',
        );
      expect(entry).toMatchObject({
        workflowId: `loyalty:${stored(customerId)}`,
        res: { statusCode: 201 },
      });
    });

    it('never logs a credential, valid or not', async () => {
      const rejected = 'wrong-secret-0123456789abcdef';
      await call('get', `/v1/customers/cus-${run}-1`);
      await call('get', `/v1/customers/cus-${run}-1`, { key: rejected });
      const logged = logLines.join('\n');
      expect(logged).toContain('"authorization":"[redacted]"');
      for (const secret of [KEY, OTHER_KEY, rejected]) expect(logged).not.toContain(secret);
    });

    it('counts workflow operations by outcome', async () => {
      const metrics = (await call('get', '/metrics')).text;
      expect(metrics).toMatch(
        /invincible_workflow_operations_total\{operation="update-with-start",name="recordPurchase",outcome="ok"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /invincible_workflow_operations_total\{operation="update",name="redeemCoupon",outcome="rejected"\} [1-9]/,
      );
      // A repeated create is answered from the stored subscription before any start (issue #13,
      // defect 9): `already_started` only shows in the race before the first projection is saved.
      expect(metrics).toMatch(
        /invincible_workflow_operations_total\{operation="start",name="subscription",outcome="ok"\} [1-9]/,
      );
    });
  });

  describe('hostile input', () => {
    it('rejects malformed JSON, wrong types, unknown fields and $-keys with a 400 — and writes nothing', async () => {
      const id = `cus-${run}-hostile`;
      const malformed = await request(app)
        .post('/v1/customers')
        .set('Authorization', `Bearer ${KEY}`)
        .set('Content-Type', 'application/json')
        .send(`{"id":"${id}","email":`);
      expectProblem(malformed, 400);
      const wrongTypes = await call('post', '/v1/customers', {
        body: { id, email: 42, name: ['x'] },
      });
      expectProblem(wrongTypes, 400);
      expect(
        (wrongTypes.body as { errors: { field: string }[] }).errors.map((e) => e.field).sort(),
      ).toEqual(['email', 'name']);
      expectProblem(
        await call('post', '/v1/customers', {
          body: { id, email: 'x@example.com', name: 'X', isAdmin: true },
        }),
        400,
      );
      const operator = await call('post', '/v1/customers', {
        body: { id, email: 'x@example.com', name: { $gt: '' } },
      });
      expectProblem(operator, 400);
      expect(operator.body).toMatchObject({ errors: [{ field: 'name.$gt' }] });
      expectProblem(await call('get', `/v1/customers/${id}`), 404);
    });

    it('rejects a huge body with 413 and a non-JSON body with 415', async () => {
      const huge = await call('post', '/v1/customers', {
        body: { id: 'x', email: 'x@example.com', name: 'x'.repeat(100_000) },
      });
      expectProblem(huge, 413);
      const text = await request(app)
        .post('/v1/customers')
        .set('Authorization', `Bearer ${KEY}`)
        .set('Content-Type', 'text/plain')
        .send('id=x');
      expectProblem(text, 415);
    });

    it('rejects ids with path characters before anything runs', async () => {
      for (const bad of ['..%2F..%2Fetc', 'a%00b', '%24where', 'a%20b', 'x'.repeat(65)]) {
        expectProblem(await call('get', `/v1/customers/${bad}`), 400);
        expectProblem(await call('post', `/v1/subscriptions/${bad}/pause`), 400);
      }
      const res = await call('post', '/v1/subscriptions', {
        headers: { 'Idempotency-Key': `k-${run}-hostile` },
        body: {
          customerId: '../admin',
          paymentMethod: 'pm_card_visa',
          price: { amountMinor: 1.5, currency: 'usd' },
          interval: { unit: 'fortnight', count: 0 },
        },
      });
      expectProblem(res, 400);
      const fields = (res.body as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'customerId',
          'price.amountMinor',
          'price.currency',
          'interval.unit',
          'interval.count',
        ]),
      );
      // Nothing started: the id that key would have named has no workflow.
      const wouldBe = idFromIdempotencyKey('sub', 'dev', `k-${run}-hostile`);
      const handle = env.client.workflow.getHandle(subscriptionWorkflowId(stored(wouldBe)));
      await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });
  });

  describe('reconciliation (operators)', () => {
    it('starts a run idempotently (202), reads it, lists findings in pages and exposes the gauges', async () => {
      const key = `rec-${run}`;
      const started = await call('post', '/v1/reconciliation/runs', {
        headers: { 'Idempotency-Key': key },
        key: ADMIN_KEY,
      });
      expect(started.status).toBe(202);
      const runId = (started.body as { id: string }).id;
      expect(runId).toBe(`reconcile-${idFromIdempotencyKey('api', 'admin', key)}`);
      expect(started.headers['location']).toBe(`/v1/reconciliation/runs/${runId}`);
      // The same key is the same run.
      const again = await call('post', '/v1/reconciliation/runs', {
        headers: { 'Idempotency-Key': key },
        body: {},
        key: ADMIN_KEY,
      });
      expect({ status: again.status, id: (again.body as { id: string }).id }).toEqual({
        status: 202,
        id: runId,
      });
      await env.client.workflow.getHandle(runId).result();
      const read = await call('get', `/v1/reconciliation/runs/${runId}`, { key: ADMIN_KEY });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id: runId,
        status: 'completed',
        finishedAt: expect.any(String) as unknown,
        checked: {
          charges: expect.any(Number) as unknown,
          payments: expect.any(Number) as unknown,
          projections: expect.any(Number) as unknown,
          loyalty: expect.any(Number) as unknown,
          outbox: expect.any(Number) as unknown,
        },
      });
      const findings = (read.body as { findings: Record<string, number> }).findings;
      const total = Object.values(findings).reduce((a, b) => a + b, 0);
      // Paged listing: every open finding once, in pages of one.
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const url = `/v1/reconciliation/findings?status=open&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await call('get', url, { key: ADMIN_KEY });
        expect(page.status).toBe(200);
        const body = page.body as { items: { key: string }[]; nextCursor: string | null };
        seen.push(...body.items.map((f) => f.key));
        cursor = body.nextCursor;
        if (cursor === null) break;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(total);
      const metrics = await call('get', '/metrics');
      expect(metrics.text).toMatch(/invincible_reconciliation_findings\{kind="outbox_stuck"\} \d+/);
      expect(metrics.text).toMatch(/invincible_reconciliation_last_run_timestamp_seconds [1-9]/);
      expect(metrics.text).toContain('invincible_reconciliation_last_run_duration_seconds');
    });

    it('answers 404 for an unknown run, 400 for a bad status or a missing key', async () => {
      expectProblem(
        await call('get', `/v1/reconciliation/runs/reconcile-nothing-${run}`, { key: ADMIN_KEY }),
        404,
      );
      // A workflow that is not a run (here a loyalty program) is not found either.
      const customerId = await customer();
      const purchase = await call('post', `/v1/customers/${customerId}/purchases`, {
        body: { purchaseId: `rec-${run}`, total: 100, currency: 'USD' },
      });
      expect(purchase.status).toBe(201);
      const programId = encodeURIComponent(loyaltyWorkflowId(customerId));
      expectProblem(
        await call('get', `/v1/reconciliation/runs/${programId}`, { key: ADMIN_KEY }),
        404,
      );
      expectProblem(
        await call('get', '/v1/reconciliation/findings?status=closed', { key: ADMIN_KEY }),
        400,
      );
      expectProblem(
        await call('get', '/v1/reconciliation/findings?cursor=bm90LWEtY3Vyc29y', {
          key: ADMIN_KEY,
        }),
        400,
      );
      expectProblem(await call('post', '/v1/reconciliation/runs', { key: ADMIN_KEY }), 400);
      // A tenant's key cannot reach the platform's operations at all.
      expectProblem(await call('get', `/v1/reconciliation/runs/reconcile-x-${run}`), 403);
      expectProblem(
        await call('post', '/v1/reconciliation/runs', {
          headers: { 'Idempotency-Key': `rec-bad-${run}` },
          body: { everything: true },
          key: ADMIN_KEY,
        }),
        400,
      );
    });
  });
});
