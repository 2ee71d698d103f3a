import type { Fetcher, FetcherRequestInfo, FetcherResponseInfo } from '@datastax/astra-db-ts';
import { BackendRejectedError, ConflictError, UnavailableError, ValidationError } from '../errors';
import type { Customer } from '../model/entities';
import { COLLECTION, createAstraRepository, INDEXING } from './astra-repository';

/**
 * The Astra adapter at the wire, through astra-db-ts's custom fetcher: the exact Data API
 * commands each port method sends, and how it handles what the Data API answers.
 */
type Reply =
  Partial<FetcherResponseInfo> | ((req: FetcherRequestInfo) => Promise<FetcherResponseInfo>);

interface Sent {
  readonly path: string;
  readonly command: string;
  readonly payload: Record<string, unknown>;
}

function dataApi(...replies: Reply[]): Fetcher & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    fetch(req) {
      const body = JSON.parse(req.body ?? '{}') as Record<string, Record<string, unknown>>;
      const [command = '', payload = {}] = Object.entries(body)[0] ?? [];
      sent.push({ path: new URL(req.url).pathname, command, payload });
      const reply = replies.shift();
      if (reply === undefined) throw new Error(`unexpected ${command} (no reply scripted)`);
      if (typeof reply === 'function') return reply(req);
      return Promise.resolve({
        status: 200,
        statusText: 'OK',
        headers: {},
        httpVersion: 1,
        url: req.url,
        ...reply,
      });
    },
  };
}

const json = (body: unknown): Partial<FetcherResponseInfo> => ({ body: JSON.stringify(body) });
const apiError = (errorCode: string) =>
  json({
    errors: [
      {
        errorCode,
        message: `${errorCode} happened`,
        family: 'REQUEST',
        scope: 'DOCUMENT',
        title: errorCode,
        id: 'e1',
      },
    ],
  });
const endpoint = 'https://01234567-89ab-cdef-0123-456789abcdef-us-east1.apps.astra.datastax.com';

function repoWith(fetcher: Fetcher) {
  return createAstraRepository({
    backend: 'astra',
    endpoint,
    keyspace: 'invincible',
    environment: 'astra',
    auth: { token: 'AstraCS:test' },
    fetcher,
  });
}

const ada: Customer = {
  id: 'cus_1',
  email: 'ada@example.com',
  name: 'Ada',
  createdAt: new Date('2026-01-31T10:00:00Z'),
};
const adaDoc = {
  _id: 'customer:cus_1',
  ty: 'customer',
  id: 'cus_1',
  email: 'ada@example.com',
  name: 'Ada',
  createdAt: { $date: ada.createdAt.getTime() },
};

describe('astra adapter: commands on the wire', () => {
  it('inserts with a deterministic _id, dates as $date', async () => {
    const api = dataApi(json({ status: { insertedIds: ['cus_1'] } }));
    await expect(repoWith(api).customers.create(ada)).resolves.toEqual({
      record: ada,
      created: true,
    });
    expect(api.sent).toEqual([
      {
        path: '/api/json/v1/invincible/invincible',
        command: 'insertOne',
        payload: { document: adaDoc },
      },
    ]);
  });

  it('treats DOCUMENT_ALREADY_EXISTS as "already done": reads back and returns the stored document', async () => {
    const stored = { ...adaDoc, name: 'Ada (first)' };
    const api = dataApi(apiError('DOCUMENT_ALREADY_EXISTS'), json({ data: { document: stored } }));
    await expect(repoWith(api).customers.create(ada)).resolves.toEqual({
      record: { ...ada, name: 'Ada (first)' },
      created: false,
    });
    expect(api.sent.map((s) => s.command)).toEqual(['insertOne', 'findOne']);
    expect(api.sent[1]?.payload).toEqual({ filter: { _id: 'customer:cus_1' }, options: {} });
  });

  // Versioned saves use equality filters only: a self-managed Data API rejects `$lt` on a
  // collection field (INVALID_DATABASE_QUERY), and answers a filter that misses an existing
  // document with `matchedCount: 0` — not DOCUMENT_ALREADY_EXISTS. The answers below are the ones
  // a real Data API 1.0.51 on Cassandra 5.0.6 gave to these commands.
  const account = {
    customerId: 'cus_1',
    balance: 5,
    lifetimePoints: 5,
    couponsIssued: 0,
    couponsRedeemed: 0,
    version: 7,
    updatedAt: new Date(0),
  };
  const stored = (version: number) => ({
    ...account,
    _id: 'loyalty:cus_1',
    ty: 'loyalty',
    version,
    updatedAt: { $date: 0 },
  });

  it('saves a new projection: read, then insert', async () => {
    const api = dataApi(
      json({ data: { document: null } }),
      json({ status: { insertedIds: ['cus_1'] } }),
    );
    await expect(repoWith(api).loyalty.save(account)).resolves.toEqual(account);
    expect(api.sent.map((c) => c.command)).toEqual(['findOne', 'insertOne']);
    expect(api.sent[1]?.payload).toMatchObject({
      document: { _id: 'loyalty:cus_1', ty: 'loyalty', ...account, updatedAt: { $date: 0 } },
    });
  });

  it('saves over an older projection with an update pinned on the version it read', async () => {
    const api = dataApi(
      json({ data: { document: stored(3) } }),
      json({ status: { matchedCount: 1, modifiedCount: 1 } }),
    );
    await expect(repoWith(api).loyalty.save(account)).resolves.toEqual(account);
    expect(api.sent[1]).toMatchObject({
      path: '/api/json/v1/invincible/invincible',
      command: 'updateOne',
      payload: {
        filter: { _id: 'loyalty:cus_1', version: 3 },
        update: { $set: { ...account, updatedAt: { $date: 0 } } },
      },
    });
    expect(JSON.stringify(api.sent)).not.toMatch(/\$lt|\$gt|upsert/);
  });

  it("lists a tenant's new subscription with an entry written before its document, once", async () => {
    const projection = {
      id: 'acme~sub_1',
      customerId: 'acme~cus_1',
      status: 'active' as const,
      price: { amountMinor: 1999, currency: 'EUR' },
      interval: { unit: 'month' as const, count: 1 },
      anchorAt: new Date(0),
      timeZone: 'UTC',
      nextChargeAt: null,
      periodsBilled: 0,
      canceledAt: null,
      cancelEffectiveAt: null,
      cancelReason: null,
      pausedAt: null,
      version: 0,
      updatedAt: new Date(0),
    };
    const api = dataApi(
      json({ data: { document: null } }),
      // The entry of an earlier attempt is there already: that is "done".
      apiError('DOCUMENT_ALREADY_EXISTS'),
      json({ status: { insertedIds: ['subscription:acme~sub_1'] } }),
    );
    await expect(repoWith(api).subscriptions.save(projection)).resolves.toEqual(projection);
    expect(api.sent.map((c) => c.command)).toEqual(['findOne', 'insertOne', 'insertOne']);
    expect(api.sent[1]?.payload).toEqual({
      document: {
        _id: 'entry:tenant-subscriptions:acme/acme~sub_1',
        ty: 'entry',
        ls: 'tenant-subscriptions:acme',
        ref: 'subscription:acme~sub_1',
      },
    });
    expect(api.sent[2]?.payload).toMatchObject({
      document: { _id: 'subscription:acme~sub_1', ls: 'subscriptions:acme~cus_1' },
    });
    // A later save of the same subscription updates it and writes no entry.
    const later = dataApi(
      json({
        data: {
          document: {
            _id: 'subscription:acme~sub_1',
            ty: 'subscription',
            ...projection,
            anchorAt: { $date: 0 },
            updatedAt: { $date: 0 },
          },
        },
      }),
      json({ status: { matchedCount: 1, modifiedCount: 1 } }),
    );
    await repoWith(later).subscriptions.save({ ...projection, version: 1 });
    expect(later.sent.map((c) => c.command)).toEqual(['findOne', 'updateOne']);
  });

  it('answers a stale save with the stored newer projection, and writes nothing', async () => {
    const api = dataApi(json({ data: { document: stored(9) } }));
    await expect(repoWith(api).loyalty.save(account)).resolves.toMatchObject({ version: 9 });
    expect(api.sent.map((c) => c.command)).toEqual(['findOne']);
  });

  it('reads again when the version moved on between read and write (matchedCount: 0)', async () => {
    const api = dataApi(
      json({ data: { document: stored(3) } }),
      json({ status: { matchedCount: 0, modifiedCount: 0 } }),
      json({ data: { document: stored(9) } }),
    );
    await expect(repoWith(api).loyalty.save(account)).resolves.toMatchObject({ version: 9 });
    expect(api.sent.map((c) => c.command)).toEqual(['findOne', 'updateOne', 'findOne']);
  });

  it('reads again when another writer inserted first (DOCUMENT_ALREADY_EXISTS)', async () => {
    const api = dataApi(
      json({ data: { document: null } }),
      apiError('DOCUMENT_ALREADY_EXISTS'),
      json({ data: { document: stored(8) } }),
    );
    await expect(repoWith(api).loyalty.save(account)).resolves.toMatchObject({ version: 8 });
  });

  it('deducts points with equality filters only: read, then an update pinned on that version', async () => {
    const before = { ...stored(3), balance: 10, lifetimePoints: 10 };
    const after = { ...before, balance: 6, version: 4 };
    const api = dataApi(json({ data: { document: before } }), json({ data: { document: after } }));
    await expect(repoWith(api).loyalty.addPoints('cus_1', -4, new Date(0))).resolves.toMatchObject({
      balance: 6,
      version: 4,
    });
    expect(api.sent[1]).toMatchObject({
      command: 'findOneAndUpdate',
      payload: {
        filter: { _id: 'loyalty:cus_1', version: 3 },
        update: { $inc: { balance: -4, lifetimePoints: 0, version: 1 } },
      },
    });
    expect(JSON.stringify(api.sent)).not.toMatch(/\$gte/);
    // More than the balance: refused before any write.
    const short = dataApi(json({ data: { document: before } }));
    await expect(
      repoWith(short).loyalty.addPoints('cus_1', -11, new Date(0)),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(short.sent).toHaveLength(1);
  });

  it('adds points with one atomic $inc upsert', async () => {
    const after = {
      _id: 'loyalty:cus_1',
      ty: 'loyalty',
      customerId: 'cus_1',
      balance: 10,
      lifetimePoints: 10,
      couponsIssued: 0,
      couponsRedeemed: 0,
      version: 1,
      updatedAt: { $date: 0 },
    };
    const api = dataApi(
      json({
        data: { document: after },
        status: { matchedCount: 0, modifiedCount: 0, upsertedId: 'cus_1' },
      }),
    );
    await expect(repoWith(api).loyalty.addPoints('cus_1', 10, new Date(0))).resolves.toMatchObject({
      balance: 10,
      version: 1,
    });
    expect(api.sent[0]).toMatchObject({
      command: 'findOneAndUpdate',
      payload: {
        filter: { _id: 'loyalty:cus_1' },
        update: {
          $inc: { balance: 10, lifetimePoints: 10, version: 1 },
          $set: { updatedAt: { $date: 0 } },
          $setOnInsert: {
            ty: 'loyalty',
            customerId: 'cus_1',
            couponsIssued: 0,
            couponsRedeemed: 0,
          },
        },
        options: { upsert: true, returnDocument: 'after' },
      },
    });
  });

  it('counts a rate-limit hit with one atomic $inc upsert and reads the window before', async () => {
    // Answers by command: the two requests go out together, in no promised order.
    const byCommand = (hits: number, previous: number | null) => (req: FetcherRequestInfo) => {
      const command = Object.keys(JSON.parse(req.body ?? '{}') as object)[0];
      const body =
        command === 'findOneAndUpdate'
          ? { data: { document: { _id: 'x', hits } }, status: { matchedCount: 1 } }
          : command === 'findOne'
            ? { data: { document: previous === null ? null : { _id: 'y', hits: previous } } }
            : { status: { deletedCount: 1 } };
      return Promise.resolve({
        status: 200,
        statusText: 'OK',
        headers: {},
        httpVersion: 1 as const,
        url: req.url,
        body: JSON.stringify(body),
      });
    };
    const api = dataApi(byCommand(7, 40), byCommand(7, 40));
    await expect(repoWith(api).rateLimits.hit('rl:per-key:abc', 100)).resolves.toEqual({
      current: 7,
      previous: 40,
    });
    const sent = [...api.sent].sort((a, b) => a.command.localeCompare(b.command));
    expect(sent).toEqual([
      {
        path: expect.stringMatching(/\/invincible\/invincible$/) as string,
        command: 'findOne',
        payload: { filter: { _id: 'rate:rl:per-key:abc:99' }, options: {} },
      },
      {
        path: expect.stringMatching(/\/invincible\/invincible$/) as string,
        command: 'findOneAndUpdate',
        payload: {
          filter: { _id: 'rate:rl:per-key:abc:100' },
          update: { $inc: { hits: 1 }, $setOnInsert: { ty: 'rate' } },
          options: { upsert: true, returnDocument: 'after' },
        },
      },
    ]);
    // The first hit of a window also removes the one two windows back.
    const first = dataApi(byCommand(1, null), byCommand(1, null), byCommand(1, null));
    await expect(repoWith(first).rateLimits.hit('rl:per-key:abc', 101)).resolves.toEqual({
      current: 1,
      previous: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.sent.find((c) => c.command === 'deleteOne')).toMatchObject({
      payload: { filter: { _id: 'rate:rl:per-key:abc:99' } },
    });
  });

  it('redeems with a filter pinned on _id, owner and status, then tells "taken" from "missing"', async () => {
    const redeemed = {
      _id: 'coupon:cus_1:1',
      ty: 'coupon',
      ls: 'coupons:cus_1',
      id: 'cus_1:1',
      customerId: 'cus_1',
      value: { amountMinor: 500, currency: 'USD' },
      status: 'redeemed',
      issuedAt: { $date: 0 },
      redeemedAt: { $date: 5 },
    };
    const api = dataApi(
      json({ data: { document: null }, status: { matchedCount: 0, modifiedCount: 0 } }),
      json({ data: { document: redeemed } }),
    );
    await expect(
      repoWith(api).coupons.redeem('cus_1:1', 'cus_1', new Date(9), 'upd-2'),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(api.sent[0]).toMatchObject({
      command: 'findOneAndUpdate',
      payload: {
        filter: { _id: 'coupon:cus_1:1', ls: 'coupons:cus_1', status: 'issued' },
        update: { $set: { status: 'redeemed', redeemedAt: { $date: 9 }, redeemedBy: 'upd-2' } },
      },
    });
  });

  it('answers a retried redemption (the same request id) with the coupon it redeemed', async () => {
    const redeemed = {
      _id: 'cus_1:1',
      id: 'cus_1:1',
      customerId: 'cus_1',
      value: { amountMinor: 500, currency: 'USD' },
      status: 'redeemed',
      issuedAt: { $date: 0 },
      redeemedAt: { $date: 5 },
      redeemedBy: 'upd-1',
    };
    const api = dataApi(
      json({ data: { document: null }, status: { matchedCount: 0, modifiedCount: 0 } }),
      json({ data: { document: redeemed } }),
    );
    await expect(
      repoWith(api).coupons.redeem('cus_1:1', 'cus_1', new Date(9), 'upd-1'),
    ).resolves.toMatchObject({ status: 'redeemed', redeemedBy: 'upd-1' });
  });

  it("counts a customer's coupons with countDocuments, bounded as the Data API requires", async () => {
    // The answer shape is the one recorded from a real Data API (notes/data-api/10-count-documents.json).
    const api = dataApi(json({ status: { count: 4 } }));
    await expect(repoWith(api).coupons.countByCustomer('cus_1')).resolves.toBe(4);
    expect(api.sent[0]).toMatchObject({
      command: 'countDocuments',
      payload: { filter: { ls: 'coupons:cus_1' } },
    });
  });

  it('looks up a batch of ledger rows by their _ids with one find', async () => {
    const api = dataApi(json({ data: { documents: [], nextPageState: null } }));
    await expect(
      repoWith(api).purchases.find('cus_1', [
        { source: 'purchase', purchaseId: 'ord-1' },
        { source: 'charge', purchaseId: 'sub_1:3' },
      ]),
    ).resolves.toEqual([]);
    expect(api.sent[0]).toMatchObject({
      path: '/api/json/v1/invincible/invincible',
      command: 'find',
      payload: {
        filter: {
          _id: { $in: ['purchase:cus_1/purchase/ord-1', 'purchase:cus_1/charge/sub_1:3'] },
        },
      },
    });
  });

  // Listings read by equality on `ls` only, with no sort: a self-managed Data API sorts in memory
  // (one page of 50 at most, no page state: notes/data-api/07) and rejects `$gt` and `$or`
  // (notes/data-api/08). Ordered listings keep their documents in small buckets, read whole and
  // ordered here; the unsorted find of a bucket pages by the Data API's page state.
  const charge = (period: number, attempt = 1) => ({
    _id: `charge:s:${period}:${attempt}`,
    ty: 'charge',
    ls: `charges:s#${Math.floor(period / 25)}`,
    subscriptionId: 's',
    period,
    attempt,
    customerId: 'c',
    amount: { amountMinor: 1, currency: 'USD' },
    outcome: 'succeeded',
    providerRef: null,
    failureCode: null,
    occurredAt: { $date: 0 },
  });
  const page = (documents: unknown[], nextPageState: string | null = null) =>
    json({ data: { documents, nextPageState } });

  it('records a charge in its bucket, after adding the bucket to the listing', async () => {
    const api = dataApi(
      json({ status: { matchedCount: 1, modifiedCount: 0 } }),
      json({ status: { insertedIds: ['charge:s:53:1'] } }),
    );
    const { _id, ty, ls, ...entry } = charge(53);
    void [_id, ty, ls];
    await repoWith(api).charges.record({ ...entry, occurredAt: new Date(0) } as never);
    expect(api.sent).toEqual([
      {
        path: '/api/json/v1/invincible/invincible',
        command: 'updateOne',
        payload: {
          filter: { _id: 'extent:charges:s' },
          update: { $addToSet: { buckets: 2 }, $setOnInsert: { ty: 'extent' } },
          options: { upsert: true },
        },
      },
      {
        path: '/api/json/v1/invincible/invincible',
        command: 'insertOne',
        payload: { document: charge(53) },
      },
    ]);
  });

  it('pages charges in (period, attempt) order from unsorted buckets, with no sort and no range filter', async () => {
    // Buckets answer in the Data API's token order, not in period order.
    const api = dataApi(
      json({ data: { document: { _id: 'extent:charges:s', buckets: [1, 0] } } }),
      page([charge(3), charge(1, 2), charge(1), charge(2)]),
      json({ data: { document: { _id: 'extent:charges:s', buckets: [1, 0] } } }),
      page([charge(3), charge(1, 2), charge(1), charge(2)]),
      page([charge(26), charge(25)]),
    );
    const repo = repoWith(api);
    const first = await repo.charges.listBySubscription('s', { limit: 3 });
    expect(first.items.map((c) => `${c.period}:${c.attempt}`)).toEqual(['1:1', '1:2', '2:1']);
    const second = await repo.charges.listBySubscription('s', {
      limit: 3,
      cursor: first.nextCursor,
    });
    expect(second.items.map((c) => `${c.period}:${c.attempt}`)).toEqual(['3:1', '25:1', '26:1']);
    expect(second.nextCursor).toBeNull();
    expect(api.sent.filter((c) => c.command === 'find').map((c) => c.payload)).toEqual([
      { filter: { ls: 'charges:s#0' }, options: {} },
      { filter: { ls: 'charges:s#0' }, options: {} },
      { filter: { ls: 'charges:s#1' }, options: {} },
    ]);
    expect(JSON.stringify(api.sent)).not.toMatch(/\$gt|\$lt|\$or|"sort"/);
  });

  it("reads a bucket bigger than the Data API's page by its page state", async () => {
    // As recorded (notes/data-api/07): an unsorted find answers 50 and a page state, then the rest.
    const periods = Array.from({ length: 9 }, (_, i) => i + 1);
    const docs = periods.flatMap((p) => Array.from({ length: 7 }, (_, a) => charge(p, a + 1)));
    const api = dataApi(
      json({ data: { document: { _id: 'extent:charges:s', buckets: [0] } } }),
      page(docs.slice(0, 50).reverse(), 'EwAAAAEBAAAACnN1Yl93OjcwOjEA8H///80A'),
      page(docs.slice(50).reverse()),
    );
    const listed = await repoWith(api).charges.listBySubscription('s', { limit: 100 });
    expect(listed.items.map((c) => `${c.period}:${c.attempt}`)).toEqual(
      docs.map((d) => `${d.period}:${d.attempt}`),
    );
    expect(api.sent[2]?.payload).toMatchObject({
      filter: { ls: 'charges:s#0' },
      options: { pageState: 'EwAAAAEBAAAACnN1Yl93OjcwOjEA8H///80A' },
    });
  });

  it("pages a listing with no promised order by the Data API's own page state", async () => {
    const sub = (n: number) => ({
      _id: `subscription:sub_${n}`,
      ty: 'subscription',
      ls: 'subscriptions:cus_1',
      id: `sub_${n}`,
      customerId: 'cus_1',
    });
    const api = dataApi(
      page([sub(5), sub(2), sub(9)], 'state-2'),
      page([sub(5), sub(2), sub(9)], 'state-2'),
      page([sub(4)]),
    );
    const repo = repoWith(api);
    const first = await repo.subscriptions.listByCustomer('cus_1', { limit: 2 });
    expect(first.items.map((x) => x.id)).toEqual(['sub_5', 'sub_2']);
    // Resumes inside the same Data API page, after the last _id returned, then its next page.
    const rest = await repo.subscriptions.listByCustomer('cus_1', {
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(rest.items.map((x) => x.id)).toEqual(['sub_9', 'sub_4']);
    expect(rest.nextCursor).toBeNull();
    expect(api.sent.map((c) => c.payload)).toEqual([
      { filter: { ls: 'subscriptions:cus_1' }, options: {} },
      { filter: { ls: 'subscriptions:cus_1' }, options: {} },
      { filter: { ls: 'subscriptions:cus_1' }, options: { pageState: 'state-2' } },
    ]);
  });

  it('migrates: creates the one collection, then records the schema version', async () => {
    const api = dataApi(
      json({ status: { collections: [] } }),
      json({ status: { ok: 1 } }),
      json({ data: { document: null } }),
      json({ status: { insertedIds: ['meta:schema'] } }),
      // Version 2's backfill: the customers and subscriptions to list by tenant (none here).
      json({ data: { documents: [], nextPageState: null } }),
      json({ data: { documents: [], nextPageState: null } }),
      json({ status: { matchedCount: 1, modifiedCount: 1 } }),
    );
    await expect(repoWith(api).migrate()).resolves.toEqual({ applied: true });
    expect(api.sent.map((c) => [c.path, c.command])).toEqual([
      ['/api/json/v1/invincible', 'findCollections'],
      ['/api/json/v1/invincible', 'createCollection'],
      ['/api/json/v1/invincible/invincible', 'findOne'],
      ['/api/json/v1/invincible/invincible', 'insertOne'],
      ['/api/json/v1/invincible/invincible', 'find'],
      ['/api/json/v1/invincible/invincible', 'find'],
      ['/api/json/v1/invincible/invincible', 'updateOne'],
    ]);
    expect(api.sent[1]?.payload).toEqual({ name: COLLECTION, options: { indexing: INDEXING } });
    expect(api.sent[3]?.payload).toEqual({
      document: { _id: 'meta:schema', ty: 'meta', version: 1 },
    });
    expect(api.sent[4]?.payload).toMatchObject({ filter: { ty: 'customer' } });
    expect(api.sent[5]?.payload).toMatchObject({ filter: { ty: 'subscription' } });
    expect(api.sent[6]?.payload).toMatchObject({
      filter: { _id: 'meta:schema', version: 1 },
      update: { $set: { version: 2 } },
    });
    // Already there and at its version: one look, nothing written.
    const again = dataApi(
      json({ status: { collections: [COLLECTION] } }),
      json({ data: { document: { _id: 'meta:schema', ty: 'meta', version: 2 } } }),
    );
    await expect(repoWith(again).migrate()).resolves.toEqual({ applied: false });
  });

  it('refuses a keyspace a newer release migrated, with one line', async () => {
    const api = dataApi(
      json({ status: { collections: [COLLECTION] } }),
      json({ data: { document: { _id: 'meta:schema', ty: 'meta', version: 99 } } }),
    );
    await expect(repoWith(api).migrate()).rejects.toMatchObject({
      name: 'BackendRejectedError',
      retryable: false,
      message: expect.stringMatching(/schema version 99/) as unknown,
    });
  });

  it("stops migrating with the Data API's reason when it allows no more collections", async () => {
    // As a stock self-managed Data API answered the sixth collection.
    const tooMany = json({
      errors: [
        {
          id: '103b414a-7295-45dc-a302-33a8b46859ef',
          family: 'REQUEST',
          scope: 'SCHEMA',
          errorCode: 'TOO_MANY_COLLECTIONS',
          title: 'Too many collections',
          message:
            "Cannot create collection 'invincible': the maximum number of collections per database is 5, database already has 5.",
        },
      ],
    });
    const api = dataApi(json({ status: { collections: ['a', 'b', 'c', 'd', 'e'] } }), tooMany);
    await expect(repoWith(api).migrate()).rejects.toMatchObject({
      name: 'BackendRejectedError',
      retryable: false,
      code: 'TOO_MANY_COLLECTIONS',
      message: expect.stringMatching(/maximum number of collections per database is 5/) as unknown,
    });
    expect(api.sent).toHaveLength(2);
  });

  it('sends nothing at all for hostile input', async () => {
    const api = dataApi();
    const repo = repoWith(api);
    await expect(
      repo.customers.create({ ...ada, $set: { name: 'x' } } as unknown as Customer),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(repo.customers.get({ $ne: '' } as unknown as string)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(api.sent).toEqual([]);
  });
});

describe('astra adapter: failures', () => {
  // As a self-managed Data API answered a range filter on a collection field.
  const invalidQuery = json({
    errors: [
      {
        id: 'e9c74239-0ace-4a24-94b6-ee8972b50267',
        family: 'SERVER',
        scope: 'DATABASE',
        errorCode: 'INVALID_DATABASE_QUERY',
        title: 'Invalid database query',
        message: 'Only EQ relations are supported on map entries',
      },
    ],
  });

  it('fails at once, never retried, on an answer a retry cannot change (INVALID_DATABASE_QUERY)', async () => {
    const api = dataApi(invalidQuery);
    const failure = await repoWith(api)
      .customers.get('cus_1')
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(BackendRejectedError);
    expect(failure).toMatchObject({
      retryable: false,
      code: 'INVALID_DATABASE_QUERY',
      message: expect.stringMatching(/Only EQ relations/) as unknown,
    });
    expect(api.sent).toHaveLength(1);
  });

  it.each([
    ['FILTER_UNSUPPORTED_OPERATOR'],
    ['UNSUPPORTED_DATABASE_QUERY'],
    ['SORT_CLAUSE_PATH_UNINDEXED'],
    ['TOO_MANY_COLLECTIONS'],
    ['COMMAND_UNKNOWN'],
  ])('classifies %s as rejected, not retryable', async (code) => {
    await expect(repoWith(dataApi(apiError(code))).customers.get('cus_1')).rejects.toBeInstanceOf(
      BackendRejectedError,
    );
  });

  it('classifies the database timing out as unavailable (retryable)', async () => {
    await expect(
      repoWith(dataApi(apiError('SERVER_READ_TIMEOUT'))).customers.get('cus_1'),
    ).rejects.toBeInstanceOf(UnavailableError);
  });

  it('retries FAILED_CONCURRENT_OPERATIONS a bounded number of times', async () => {
    const api = dataApi(
      apiError('FAILED_CONCURRENT_OPERATIONS'),
      apiError('FAILED_CONCURRENT_OPERATIONS'),
      json({ status: { insertedIds: ['cus_1'] } }),
    );
    await expect(repoWith(api).customers.create(ada)).resolves.toMatchObject({ created: true });
    expect(api.sent).toHaveLength(3);

    const hopeless = dataApi(
      ...Array.from({ length: 20 }, () => apiError('FAILED_CONCURRENT_OPERATIONS')),
    );
    await expect(repoWith(hopeless).customers.create(ada)).rejects.toBeInstanceOf(UnavailableError);
    expect(hopeless.sent).toHaveLength(9);
  });

  it('sums a ledger again from its first page when a later page is retried: no row counts twice', async () => {
    const row = (n: number) => ({ _id: `cus_1/purchase/o-${n}`, points: 100 });
    const api = dataApi(
      json({ data: { documents: [row(1), row(2)], nextPageState: 'p2' } }),
      apiError('FAILED_CONCURRENT_OPERATIONS'),
      json({ data: { documents: [row(1), row(2)], nextPageState: 'p2' } }),
      json({ data: { documents: [row(3)], nextPageState: null } }),
    );
    await expect(repoWith(api).purchases.totals('cus_1')).resolves.toEqual({
      purchases: 3,
      points: 300,
    });
    expect(api.sent.map((c) => c.command)).toEqual(['find', 'find', 'find', 'find']);
  });

  it.each([
    [429, 'Too Many Requests'],
    [502, 'Bad Gateway'],
    [503, 'Service Unavailable'],
  ])('reports HTTP %i as UnavailableError (retryable)', async (status, statusText) => {
    const api = dataApi({ status, statusText, body: 'try later' });
    const error = await repoWith(api)
      .customers.get('cus_1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryable).toBe(true);
  });

  it('a write that timed out but was applied is not duplicated by the retry', async () => {
    // The first insert reaches the database, but the answer never comes back in time.
    const api = dataApi(
      (req) => Promise.reject(req.mkTimeoutError()),
      apiError('DOCUMENT_ALREADY_EXISTS'),
      json({ data: { document: adaDoc } }),
    );
    const repo = repoWith(api);
    await expect(repo.customers.create(ada)).rejects.toBeInstanceOf(UnavailableError);
    // Temporal retries the activity: the same deterministic _id meets the stored document.
    await expect(repo.customers.create(ada)).resolves.toEqual({ record: ada, created: false });
    expect(api.sent.map((s) => s.command)).toEqual(['insertOne', 'insertOne', 'findOne']);
    expect(api.sent[0]?.payload).toEqual(api.sent[1]?.payload);
  });

  it('an unreachable endpoint is UnavailableError', async () => {
    const api = dataApi(() =>
      Promise.reject(
        new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:443') }),
      ),
    );
    await expect(repoWith(api).ping()).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('astra adapter: every port method, its commands on the one collection', () => {
  const at = new Date(0);
  const doc = { _id: 'x' };
  const cases: [
    string,
    (r: ReturnType<typeof repoWith>) => Promise<unknown>,
    string,
    Record<string, unknown>,
  ][] = [
    [
      'customers.get',
      (r) => r.customers.get('cus_1'),
      'findOne',
      { filter: { _id: 'customer:cus_1' } },
    ],
    [
      'subscriptions.get',
      (r) => r.subscriptions.get('sub_1'),
      'findOne',
      { filter: { _id: 'subscription:sub_1' } },
    ],
    [
      'subscriptions.listByCustomer',
      (r) => r.subscriptions.listByCustomer('cus_1'),
      'find',
      { filter: { ls: 'subscriptions:cus_1' } },
    ],
    [
      'charges.get',
      (r) => r.charges.get('sub_1', 2, 1),
      'findOne',
      { filter: { _id: 'charge:sub_1:2:1' } },
    ],
    [
      'payments.get',
      (r) => r.payments.get('sub_1:2:1'),
      'findOne',
      { filter: { _id: 'payment:sub_1:2:1' } },
    ],
    ['loyalty.get', (r) => r.loyalty.get('cus_1'), 'findOne', { filter: { _id: 'loyalty:cus_1' } }],
    [
      'purchases.get',
      (r) => r.purchases.get('cus_1', { source: 'purchase', purchaseId: 'order-7' }),
      'findOne',
      { filter: { _id: 'purchase:cus_1/purchase/order-7' } },
    ],
    [
      'coupons.get',
      (r) => r.coupons.get('cus_1:1'),
      'findOne',
      { filter: { _id: 'coupon:cus_1:1' } },
    ],
    [
      'coupons.listByCustomer',
      (r) => r.coupons.listByCustomer('cus_1'),
      'find',
      { filter: { ls: 'coupons:cus_1' } },
    ],
    ['outbox.get', (r) => r.outbox.get('mail-1'), 'findOne', { filter: { _id: 'email:mail-1' } }],
    [
      'outbox.markSent',
      (r) => r.outbox.markSent('mail-1', at),
      'updateOne',
      {
        filter: { _id: 'email:mail-1', status: 'pending' },
        update: { $set: { status: 'sent', sentAt: { $date: 0 } } },
      },
    ],
    [
      'outbox.markFailed',
      (r) => r.outbox.markFailed('mail-1', '550 no such mailbox'),
      'updateOne',
      {
        filter: { _id: 'email:mail-1', status: 'pending' },
        update: { $set: { status: 'failed', failure: '550 no such mailbox' } },
      },
    ],
    [
      'outbox.listPending',
      (r) => r.outbox.listPending(50),
      'find',
      { filter: { ty: 'email', status: 'pending' }, options: { limit: 50 } },
    ],
    [
      'outbox.listByCustomer',
      (r) => r.outbox.listByCustomer('cus_1'),
      'findOne',
      { filter: { _id: 'extent:emails:cus_1' } },
    ],
    [
      'access.listAudit',
      (r) => r.access.listAudit('acme'),
      'findOne',
      { filter: { _id: 'extent:audit:acme' } },
    ],
    [
      'access.listKeys',
      (r) => r.access.listKeys('acme'),
      'find',
      { filter: { ls: 'keys:acme' }, options: { limit: 1000 } },
    ],
    ['payments.scan', (r) => r.payments.scan({ limit: 50 }), 'find', { filter: { ty: 'payment' } }],
    ['loyalty.scan', (r) => r.loyalty.scan(), 'find', { filter: { ty: 'loyalty' } }],
    [
      'subscriptions.scan',
      (r) => r.subscriptions.scan(),
      'find',
      { filter: { ty: 'subscription' } },
    ],
    [
      'reconciliation.listFindings',
      (r) => r.reconciliation.listFindings('open'),
      'find',
      { filter: { ty: 'finding', status: 'open' } },
    ],
    [
      'reconciliation.markUnobserved',
      (r) => r.reconciliation.markUnobserved('outbox_stuck:mail-1', 'run-1'),
      'updateOne',
      {
        filter: { _id: 'finding:outbox_stuck:mail-1', status: 'open', lastRunId: 'run-1' },
        update: { $set: { status: 'unobserved' } },
      },
    ],
    [
      'purchases.record',
      (r) =>
        r.purchases.record({
          customerId: 'cus_1',
          source: 'purchase',
          purchaseId: 'order-7',
          total: { amountMinor: 100, currency: 'USD' },
          points: 100,
          processedAt: at,
          countedBy: 'run-1:1',
          requestId: 'purchase:order-7',
          balanceAfter: 100,
          couponsIssued: [],
        }),
      'insertOne',
      {
        document: {
          _id: 'purchase:cus_1/purchase/order-7',
          ty: 'purchase',
          ls: 'purchases:cus_1',
          countedBy: 'run-1:1',
          balanceAfter: 100,
        },
      },
    ],
    [
      'coupons.issue',
      (r) =>
        r.coupons.issue({
          id: 'cus_1:1',
          customerId: 'cus_1',
          value: { amountMinor: 500, currency: 'USD' },
          status: 'issued',
          issuedAt: at,
          redeemedAt: null,
          redeemedBy: null,
        }),
      'insertOne',
      { document: { _id: 'coupon:cus_1:1', ty: 'coupon', ls: 'coupons:cus_1', status: 'issued' } },
    ],
    [
      'customers.create (in a tenant)',
      (r) => r.customers.create({ ...ada, id: 'acme~cus_1' }),
      'insertOne',
      {
        document: {
          _id: 'customer:acme~cus_1',
          ty: 'customer',
          ls: 'tenant-customers:acme',
          id: 'acme~cus_1',
        },
      },
    ],
    [
      'customers.listByTenant',
      (r) => r.customers.listByTenant('acme'),
      'find',
      { filter: { ls: 'tenant-customers:acme' } },
    ],
    [
      'subscriptions.listByTenant',
      (r) => r.subscriptions.listByTenant('acme'),
      'find',
      { filter: { ls: 'tenant-subscriptions:acme' } },
    ],
    [
      'purchases.listByCustomer',
      (r) => r.purchases.listByCustomer('acme~cus_1'),
      'find',
      { filter: { ls: 'purchases:acme~cus_1' } },
    ],
    ['ping', (r) => r.ping(), 'findCollections', {}],
  ];

  it.each(cases)('%s', async (_name, call, command, payload) => {
    const api = dataApi(
      (req) =>
        Promise.resolve({
          status: 200,
          statusText: 'OK',
          headers: {},
          httpVersion: 1,
          url: req.url,
          body: JSON.stringify({
            data: { document: doc, documents: [] },
            status: { insertedIds: ['x'], matchedCount: 1, modifiedCount: 1, collections: [] },
          }),
        }),
      json({ data: { document: doc } }),
    );
    await call(repoWith(api)).catch(() => undefined);
    expect(api.sent[0]).toMatchObject({
      path: `/api/json/v1/invincible${command === 'findCollections' ? '' : `/${COLLECTION}`}`,
      command,
      payload,
    });
  });

  it('writes every entity to the one collection, and nothing asks the Data API to sort', () => {
    expect(COLLECTION).toBe('invincible');
    expect(INDEXING.allow).not.toContain('createdAt');
  });
});
