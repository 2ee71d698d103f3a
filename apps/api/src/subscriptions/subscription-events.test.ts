import type { AuditEvent } from '@invincible/astra-repo';
import {
  createInMemoryRepository,
  exampleSubscription,
  type InMemoryRepository,
} from '@invincible/astra-repo/testing';
import request from 'supertest';
import { auth, T0, tenantKey, testApp } from '../testing/unit-app';

/**
 * `GET /v1/subscriptions/{subscriptionId}/events` (issue #18): a subscription's changes from the
 * audit log. Temporal is unreachable here, so a write is answered 503, and audited all the same.
 */

interface EventPage {
  items: { at: string; action: string; actor: string; requestId: string; status: number }[];
  nextCursor: string | null;
}

describe('subscription events', () => {
  let store: InMemoryRepository;
  let app: ReturnType<typeof testApp>;

  beforeEach(async () => {
    store = createInMemoryRepository();
    app = testApp(store);
    await store.subscriptions.save(exampleSubscription('dev~sub_1', 'dev~cus_1', 1));
  });

  /** An audit event of tenant `dev` about sub_1, `n` seconds after T0, as the API records it. */
  const event = (
    n: number,
    action: string,
    status = 200,
    actor = 'key:key_0123456789abcdef',
    subject: string | null = 'subscription:sub_1',
  ): AuditEvent => ({
    tenantId: 'dev',
    id: `req-${n}:${action}`,
    at: new Date(T0 + n * 1_000),
    actor,
    action,
    resource: `/v1/subscriptions/sub_1/${action}`,
    requestId: `req-${n}`,
    status,
    subject,
  });

  const get = (url: string, key = auth) => request(app).get(url).set('Authorization', key);

  /** The audit write runs after the answer: waits until `n` events are stored about sub_1. */
  async function auditedAboutSub1(n: number) {
    for (let i = 0; i < 100; i++) {
      const page = await store.access.listAuditBySubject('dev', 'subscription:sub_1');
      if (page.items.length >= n) return page.items;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${n} audit events about sub_1`);
  }

  it('records each write under /v1/subscriptions/{id} with that subscription as its subject', async () => {
    for (const [path, body] of [
      ['pause', undefined],
      ['resume', undefined],
      ['price', { price: { amountMinor: 2_999, currency: 'USD' } }],
      ['cancel', { mode: 'now' }],
    ] as const) {
      const req = request(app).post(`/v1/subscriptions/sub_1/${path}`).set('Authorization', auth);
      const res = body === undefined ? await req : await req.send(body);
      // Temporal is unreachable: nothing changed, and the write is audited as answered.
      expect(res.status).toBe(503);
    }
    // A write about something else (a customer) has no subject.
    await request(app)
      .post('/v1/customers')
      .set('Authorization', auth)
      .send({ id: 'cus_2', email: 'ada@example.com', name: 'Ada' });
    const events = await auditedAboutSub1(4);
    expect(events.map((e) => [e.action, e.subject, e.status]).sort()).toEqual(
      [
        ['cancelSubscription', 'subscription:sub_1', 503],
        ['changeSubscriptionPrice', 'subscription:sub_1', 503],
        ['pauseSubscription', 'subscription:sub_1', 503],
        ['resumeSubscription', 'subscription:sub_1', 503],
      ].sort(),
    );
    const all = await store.access.listAudit('dev');
    expect(all.items.find((e) => e.action === 'createCustomer')).toMatchObject({
      action: 'createCustomer',
      status: 201,
    });
    expect(all.items.find((e) => e.action === 'createCustomer')?.subject).toBeUndefined();
    // Answered 503: nothing changed, so the history lists none of them.
    const res = await get('/v1/subscriptions/sub_1/events');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  it('lists the changes that succeeded, newest first, named for the timeline', async () => {
    await store.access.recordAudit(event(1, 'changeSubscriptionPrice'));
    await store.access.recordAudit(event(2, 'pauseSubscription', 200, 'env:dev'));
    // Refused: already paused. It changed nothing, so it is not listed.
    await store.access.recordAudit(event(3, 'pauseSubscription', 409));
    await store.access.recordAudit(event(4, 'resumeSubscription', 200, 'customer:dev~cus_1'));
    await store.access.recordAudit(event(5, 'cancelSubscription'));
    await store.access.recordAudit(event(6, 'somethingNew', 202));
    // About another subscription, and about none.
    await store.access.recordAudit(
      event(7, 'pauseSubscription', 200, 'env:dev', 'subscription:sub_2'),
    );
    await store.access.recordAudit(event(8, 'createCustomer', 201, 'env:dev', null));

    const res = await get('/v1/subscriptions/sub_1/events');
    expect(res.status).toBe(200);
    const at = (n: number) => new Date(T0 + n * 1_000).toISOString();
    expect(res.body).toEqual({
      items: [
        {
          at: at(6),
          action: 'somethingNew',
          actor: 'key:key_0123456789abcdef',
          requestId: 'req-6',
          status: 202,
        },
        {
          at: at(5),
          action: 'canceled',
          actor: 'key:key_0123456789abcdef',
          requestId: 'req-5',
          status: 200,
        },
        // A customer by the tenant's own id.
        { at: at(4), action: 'resumed', actor: 'customer:cus_1', requestId: 'req-4', status: 200 },
        { at: at(2), action: 'paused', actor: 'env:dev', requestId: 'req-2', status: 200 },
        {
          at: at(1),
          action: 'priceChanged',
          actor: 'key:key_0123456789abcdef',
          requestId: 'req-1',
          status: 200,
        },
      ],
      nextCursor: null,
    });
  });

  it('pages with a signed cursor, and refuses a bad one or one of another listing', async () => {
    for (let n = 1; n <= 5; n++) await store.access.recordAudit(event(n, 'pauseSubscription'));
    const first = await get('/v1/subscriptions/sub_1/events?limit=2');
    const page = first.body as EventPage;
    expect(page.items.map((e) => e.requestId)).toEqual(['req-5', 'req-4']);
    const pages = [page];
    while (pages.at(-1)?.nextCursor) {
      const cursor = encodeURIComponent(pages.at(-1)?.nextCursor ?? '');
      pages.push(
        (await get(`/v1/subscriptions/sub_1/events?limit=2&cursor=${cursor}`)).body as EventPage,
      );
    }
    expect(pages.flatMap((p) => p.items.map((e) => e.requestId))).toEqual([
      'req-5',
      'req-4',
      'req-3',
      'req-2',
      'req-1',
    ]);

    const bad = await get('/v1/subscriptions/sub_1/events?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ in: 'query', field: 'cursor' }] });
    // A cursor of sub_1's history does not page another subscription's, nor the charges.
    await store.subscriptions.save(exampleSubscription('dev~sub_2', 'dev~cus_1', 1));
    const cursor = encodeURIComponent(page.nextCursor ?? '');
    for (const url of [
      `/v1/subscriptions/sub_2/events?cursor=${cursor}`,
      `/v1/subscriptions/sub_1/charges?cursor=${cursor}`,
    ])
      expect({ url, status: (await get(url)).status }).toEqual({ url, status: 400 });
  });

  it("lists another tenant's events about its own subscription of the same id, never ours", async () => {
    await store.access.recordAudit(event(1, 'pauseSubscription'));
    const globex = await tenantKey(store, 'globex');
    await store.subscriptions.save(exampleSubscription('globex~sub_1', 'globex~cus_1', 1));
    await store.access.recordAudit({ ...event(2, 'cancelSubscription'), tenantId: 'globex' });
    const theirs = await get('/v1/subscriptions/sub_1/events', globex);
    expect(theirs.status).toBe(200);
    expect((theirs.body as EventPage).items.map((e) => [e.requestId, e.action])).toEqual([
      ['req-2', 'canceled'],
    ]);
    const ours = await get('/v1/subscriptions/sub_1/events');
    expect((ours.body as EventPage).items.map((e) => [e.requestId, e.action])).toEqual([
      ['req-1', 'paused'],
    ]);
  });

  it('needs subscriptions:read', async () => {
    await store.access.recordAudit(event(1, 'pauseSubscription'));
    const loyalty = await tenantKey(store, 'dev', 'restricted', ['loyalty:read']);
    expect((await get('/v1/subscriptions/sub_1/events', loyalty)).status).toBe(403);
    const reader = await tenantKey(store, 'dev', 'restricted', ['subscriptions:read']);
    const res = await get('/v1/subscriptions/sub_1/events', reader);
    expect(res.status).toBe(200);
    expect((res.body as EventPage).items).toHaveLength(1);
  });
});
