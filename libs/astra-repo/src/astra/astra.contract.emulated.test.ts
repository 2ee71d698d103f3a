import type { AstraRepositoryConfig } from '../config';
import { exampleSubscription } from '../fixtures';
import type { ChargeEntry, Customer, OutboxEmail } from '../model/entities';
import { describeRepositoryContract } from '../testing/repository-contract';
import {
  COLLECTION,
  createAstraRepository,
  INDEXING,
  LEGACY_COLLECTIONS,
} from './astra-repository';
import { createDataApiEmulator, type DataApiEmulator } from './data-api-emulator';

/**
 * The repository contract on the astra adapter over the Data API emulator, with a self-managed
 * Data API's rules as recorded from a real one (`data-api-emulator.test.ts` replays every
 * recorded exchange against it): equality filters only, in-memory sorts cut at one page of 50 with
 * no page state, unsorted finds paged by page state, 5 collections per database. The live suite
 * (`astra.contract.live.test.ts`) runs the same contract on a real endpoint when one is set.
 */
const config = (fetcher: DataApiEmulator, keyspace: string): AstraRepositoryConfig => ({
  backend: 'astra',
  endpoint: 'http://127.0.0.1:8181',
  keyspace,
  environment: 'cassandra',
  auth: { username: 'cassandra', password: 'cassandra' },
  fetcher,
});

describeRepositoryContract('astra (Data API emulator, self-managed rules)', async () => {
  const repo = createAstraRepository(config(createDataApiEmulator(), 'contract'));
  await repo.migrate();
  return { repo, close: () => repo.close() };
});

describe('astra adapter on a stock Data API', () => {
  it("fits the stock limit of 5 collections: the app's keyspace and a test keyspace together use 2", async () => {
    const api = createDataApiEmulator({ maxCollections: 5 });
    for (const keyspace of ['invincible', 'invincible_test']) {
      await expect(createAstraRepository(config(api, keyspace)).migrate()).resolves.toEqual({
        applied: true,
      });
    }
    expect([...api.collections('invincible'), ...api.collections('invincible_test')]).toEqual([
      COLLECTION,
      COLLECTION,
    ]);
    // Migrating again changes nothing and creates nothing.
    await expect(createAstraRepository(config(api, 'invincible')).migrate()).resolves.toEqual({
      applied: false,
    });
  });

  it('sends no range filter, no $or and no sort, whatever it is asked', async () => {
    const api = createDataApiEmulator();
    const repo = createAstraRepository(config(api, 'wire'));
    await repo.migrate();
    const charge = (period: number): ChargeEntry => ({
      subscriptionId: 'sub_1',
      period,
      attempt: 1,
      customerId: 'cus_1',
      amount: { amountMinor: 100, currency: 'USD' },
      outcome: 'succeeded',
      providerRef: `ch_${period}`,
      failureCode: null,
      occurredAt: new Date(period * 1000),
    });
    for (let p = 1; p <= 60; p++) await repo.charges.record(charge(p));
    let cursor: string | null = null;
    const seen: number[] = [];
    do {
      const page = await repo.charges.listBySubscription('sub_1', { limit: 7, cursor });
      seen.push(...page.items.map((c) => c.period));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const sent = JSON.stringify(api.commands.map((c) => c.payload));
    expect(sent).not.toMatch(/"\$(gt|gte|lt|lte|or|ne|nin)"|"sort"/);
  });
});

describe('astra adapter: the schema path from the one-collection-per-entity layout', () => {
  it('copies every entity of a keyspace the earlier release made, then reads it through the ports', async () => {
    const api = createDataApiEmulator({ maxCollections: 50 });
    const ks = 'legacy';
    const send = (path: string, body: unknown) => {
      const answer = api.execute(path, body);
      if (answer.errors?.length) throw new Error(JSON.stringify(answer.errors));
      return answer;
    };
    // The earlier release's layout: one collection per entity, `_id` the entity's own key.
    send('/v1', { createKeyspace: { name: ks } });
    for (const name of LEGACY_COLLECTIONS) send(`/v1/${ks}`, { createCollection: { name } });
    const date = (iso: string) => ({ $date: Date.parse(iso) });
    const insert = (collection: string, document: object) =>
      send(`/v1/${ks}/${collection}`, { insertOne: { document } });
    const ada = { id: 'dev~cus_ada', email: 'ada@example.com', name: 'Ada' };
    insert('customers', { _id: ada.id, ...ada, createdAt: date('2026-01-01T00:00:00Z') });
    insert('subscriptions', {
      _id: 'dev~sub_1',
      id: 'dev~sub_1',
      customerId: ada.id,
      status: 'active',
      price: { amountMinor: 1250, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
      anchorAt: date('2026-01-01T00:00:00Z'),
      timeZone: 'UTC',
      nextChargeAt: date('2026-03-01T00:00:00Z'),
      periodsBilled: 2,
      canceledAt: null,
      cancelEffectiveAt: null,
      cancelReason: null,
      pausedAt: null,
      version: 4,
      updatedAt: date('2026-02-01T00:00:00Z'),
    });
    for (const period of [1, 2]) {
      insert('charges', {
        _id: `dev~sub_1:${period}:1`,
        subscriptionId: 'dev~sub_1',
        period,
        attempt: 1,
        customerId: ada.id,
        amount: { amountMinor: 1250, currency: 'USD' },
        outcome: 'succeeded',
        providerRef: `ch_${period}`,
        failureCode: null,
        occurredAt: date(`2026-0${period}-01T00:00:00Z`),
      });
    }
    insert('outbox', {
      _id: 'dev~mail-1',
      id: 'dev~mail-1',
      customerId: ada.id,
      to: ada.email,
      template: 'receipt',
      subject: 'Your receipt',
      body: 'Thank you.',
      status: 'sent',
      createdAt: date('2026-01-01T00:00:00Z'),
      sentAt: date('2026-01-01T00:00:01Z'),
    });
    insert('coupons', {
      _id: 'dev~cus_ada:1',
      id: 'dev~cus_ada:1',
      customerId: ada.id,
      value: { amountMinor: 500, currency: 'USD' },
      status: 'redeemed',
      issuedAt: date('2026-01-02T00:00:00Z'),
      redeemedAt: date('2026-01-03T00:00:00Z'),
      redeemedBy: 'req-1',
    });
    insert('access', {
      _id: 'tenant:dev',
      type: 'tenant',
      id: 'dev',
      name: 'Development',
      test: true,
      maxActiveSubscriptions: 1000,
      maxLoyaltyPrograms: 1000,
      createdAt: date('2026-01-01T00:00:00Z'),
    });
    insert('processed_purchases', { _id: 'rate:rl:per-key:abc:7', hits: 3 });

    const repo = createAstraRepository(config(api, ks));
    await expect(repo.migrate()).resolves.toEqual({ applied: true });

    const customer: Customer = await repo.customers.get(ada.id);
    expect(customer).toEqual({ ...ada, createdAt: new Date('2026-01-01T00:00:00Z') });
    expect(await repo.subscriptions.get('dev~sub_1')).toMatchObject({
      version: 4,
      periodsBilled: 2,
    });
    const subs = await repo.subscriptions.listByCustomer(ada.id);
    expect(subs.items.map((s) => s.id)).toEqual(['dev~sub_1']);
    const charges = await repo.charges.listBySubscription('dev~sub_1');
    expect(charges.items.map((c) => c.period)).toEqual([1, 2]);
    const emails = await repo.outbox.listByCustomer(ada.id);
    expect(emails.items.map((e: OutboxEmail) => [e.id, e.status])).toEqual([
      ['dev~mail-1', 'sent'],
    ]);
    expect(await repo.coupons.countByCustomer(ada.id)).toBe(1);
    expect(await repo.coupons.get('dev~cus_ada:1')).toMatchObject({ status: 'redeemed' });
    expect(await repo.access.getTenant('dev')).toMatchObject({ name: 'Development' });
    // The old collections are left for the operator to drop; a second migrate copies nothing.
    expect(api.collections(ks)).toEqual(
      expect.arrayContaining([COLLECTION, ...LEGACY_COLLECTIONS]),
    );
    const before = api.documents(ks, COLLECTION).length;
    await expect(repo.migrate()).resolves.toEqual({ applied: false });
    expect(api.documents(ks, COLLECTION)).toHaveLength(before);
  });

  it('a copy that died half-way is run again without duplicating anything', async () => {
    const api = createDataApiEmulator({ maxCollections: 50 });
    const ks = 'halfway';
    api.execute('/v1', { createKeyspace: { name: ks } });
    api.execute(`/v1/${ks}`, { createCollection: { name: 'purchase_ledger' } });
    for (let n = 1; n <= 30; n++) {
      api.execute(`/v1/${ks}/purchase_ledger`, {
        insertOne: {
          document: {
            _id: `dev~cus_b/purchase/o-${n}`,
            customerId: 'dev~cus_b',
            source: 'purchase',
            purchaseId: `o-${n}`,
            total: { amountMinor: 100, currency: 'USD' },
            points: 100,
            processedAt: { $date: n },
            countedBy: `run:${n}`,
            requestId: `purchase:o-${n}`,
            balanceAfter: 100 * n,
            couponsIssued: [],
          },
        },
      });
    }
    // The copy's 20th insert is applied, but its answer is lost: migrate fails, and is run again.
    let inserts = 0;
    api.failNext((c) => c.command === 'insertOne' && ++inserts === 20, {
      throws: new TypeError('fetch failed', { cause: new Error('socket hang up') }),
      when: 'after',
    });
    const repo = createAstraRepository(config(api, ks));
    await expect(repo.migrate()).rejects.toMatchObject({ name: 'UnavailableError' });
    await expect(repo.migrate()).resolves.toEqual({ applied: true });
    await expect(repo.purchases.totals('dev~cus_b')).resolves.toEqual({
      purchases: 30,
      points: 3_000,
    });
  });
});

describe('astra adapter: schema version 2 lists what was stored before the tenant listings', () => {
  it("lists a tenant's customers and subscriptions stored at version 1, after migrate", async () => {
    const api = createDataApiEmulator();
    const ks = 'v1keyspace';
    const send = (path: string, body: unknown) => {
      const answer = api.execute(path, body);
      if (answer.errors?.length) throw new Error(JSON.stringify(answer.errors));
      return answer;
    };
    // The layout as release version 1 wrote it: customers without `ls`, subscriptions listed by
    // customer only, no `entry` documents.
    send('/v1', { createKeyspace: { name: ks } });
    send(`/v1/${ks}`, { createCollection: { name: COLLECTION, options: { indexing: INDEXING } } });
    const insert = (document: object) =>
      send(`/v1/${ks}/${COLLECTION}`, { insertOne: { document } });
    insert({ _id: 'meta:schema', ty: 'meta', version: 1 });
    const created = { $date: Date.parse('2026-01-01T00:00:00Z') };
    // More than one Data API page (50) of them, so the backfill pages too.
    const customers = Array.from({ length: 70 }, (_, n) => `acme~cus_${n}`);
    for (const id of [...customers, 'globex~cus_0', 'cus_untenanted'])
      insert({
        _id: `customer:${id}`,
        ty: 'customer',
        id,
        email: 'x@example.com',
        name: id,
        createdAt: created,
      });
    const sub = exampleSubscription('acme~sub_old', 'acme~cus_0', 3);
    const date = (d: Date | null) => (d === null ? null : { $date: d.getTime() });
    insert({
      _id: `subscription:${sub.id}`,
      ty: 'subscription',
      ls: `subscriptions:${sub.customerId}`,
      ...sub,
      anchorAt: date(sub.anchorAt),
      nextChargeAt: date(sub.nextChargeAt),
      updatedAt: date(sub.updatedAt),
    });

    const repo = createAstraRepository(config(api, ks));
    await expect(repo.customers.listByTenant('acme')).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
    await expect(repo.migrate()).resolves.toEqual({ applied: true });
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await repo.customers.listByTenant('acme', { limit: 30, cursor });
      listed.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(listed.sort()).toEqual([...customers].sort());
    expect((await repo.customers.listByTenant('globex')).items.map((c) => c.id)).toEqual([
      'globex~cus_0',
    ]);
    await expect(repo.subscriptions.listByTenant('acme')).resolves.toEqual({
      items: [sub],
      nextCursor: null,
    });
    // Still listed by customer, and a second migrate writes nothing.
    expect((await repo.subscriptions.listByCustomer('acme~cus_0')).items).toEqual([sub]);
    const before = api.documents(ks, COLLECTION).length;
    await expect(repo.migrate()).resolves.toEqual({ applied: false });
    expect(api.documents(ks, COLLECTION)).toHaveLength(before);
  });
});
