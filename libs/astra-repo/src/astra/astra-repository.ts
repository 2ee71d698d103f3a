import {
  DataAPIHttpError,
  DataAPIResponseError,
  DataAPITimeoutError,
  TooManyDocumentsToCountError,
  type Collection,
  type CollectionIndexingOptions,
  type SomeDoc,
} from '@datastax/astra-db-ts';
import { z } from 'zod';
import type { AstraRepositoryConfig } from '../config';
import {
  BackendRejectedError,
  ConflictError,
  NotFoundError,
  RepositoryError,
  UnavailableError,
  ValidationError,
} from '../errors';
import type {
  ApiKeyRecord,
  AuditEvent,
  ChargeEntry,
  Coupon,
  Customer,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  ProcessedPurchase,
  ReconciliationFinding,
  ReconciliationRun,
  SubscriptionProjection,
  Tenant,
} from '../model/entities';
import { chargeKey, checkClaim, observedFinding } from '../model/rules';
import { validate } from '../model/validation';
import { decodeCursor, encodeCursor } from '../ports/cursor';
import type { Page, PageRequest, Stored } from '../ports/paging';
import type { Repository } from '../ports/repository';
import { openAstraDb } from './db';

/**
 * The Data API collections and the only fields each one indexes: the fields filtered or sorted
 * on (`_id` is always indexed). Everything else is stored, not indexed.
 */
export const COLLECTIONS = {
  customers: { deny: ['*'] },
  subscriptions: { allow: ['id', 'customerId', 'version'] },
  charges: { allow: ['subscriptionId', 'period', 'attempt'] },
  payments: { deny: ['*'] },
  loyalty_accounts: { allow: ['balance', 'version'] },
  processed_purchases: { deny: ['*'] },
  purchase_ledger: { allow: ['customerId'] },
  coupons: { allow: ['id', 'customerId', 'status'] },
  outbox: { allow: ['id', 'customerId', 'createdAt', 'status'] },
  // Runs (`run:<id>`), findings (`finding:<key>`) and the latest run (`latest`) in one collection:
  // the Data API allows few collections per database (issue #16 consolidates the others).
  reconciliation: { allow: ['type', 'status', 'key', 'finishedAt', 'lastRunId'] },
  // Tenants (`tenant:<id>`), API keys (`key:<id>`) and audit events (`audit:<tenant>:<id>`).
  access: { allow: ['type', 'owner', 'tenantId', 'at', 'id'] },
} as const satisfies Record<string, CollectionIndexingOptions<SomeDoc>>;

type CollectionName = keyof typeof COLLECTIONS;

/**
 * Rate-limit counters (`rate:<bucket>:<window>`, `hits`) live in `processed_purchases`: that
 * collection of the pre-ledger purchases is created but no longer written, indexes nothing, and
 * the counters need `_id` lookups only. A collection of their own would exceed the Data API's
 * collection limit (issue #16).
 */
const RATE_LIMITS: CollectionName = 'processed_purchases';

/** Bounded retries of FAILED_CONCURRENT_OPERATIONS (the Data API's own optimistic-lock miss). */
const CONCURRENCY_RETRIES = 8;

const errorCodes = (error: DataAPIResponseError) => error.errorDescriptors.map((d) => d.errorCode);
const isCode = (error: unknown, code: string) =>
  error instanceof DataAPIResponseError && errorCodes(error).includes(code);

function translate(error: unknown): Error {
  if (error instanceof RepositoryError) return error;
  if (error instanceof DataAPITimeoutError) {
    // The write may have been applied: the caller's retry meets DOCUMENT_ALREADY_EXISTS or a
    // failed version filter and returns what was stored, so nothing is duplicated.
    return new UnavailableError('astra', `timed out: ${error.message}`, { cause: error });
  }
  if (error instanceof DataAPIHttpError && (error.status === 429 || error.status >= 500)) {
    return new UnavailableError('astra', `HTTP ${error.status}`, { cause: error });
  }
  if (isCode(error, 'FAILED_CONCURRENT_OPERATIONS')) {
    return new UnavailableError('astra', 'too much contention', { cause: error });
  }
  if (error instanceof DataAPIResponseError && !isCode(error, 'DOCUMENT_ALREADY_EXISTS')) {
    const descriptor = error.errorDescriptors[0];
    const code = descriptor?.errorCode ?? 'UNKNOWN';
    // The database's own transient failures (timeouts, unavailable replicas) may pass on retry;
    // anything else the Data API answers — an unsupported query, an unindexed path, a schema
    // limit, a malformed command — answers the same every time.
    if (TRANSIENT_CODE.test(code))
      return new UnavailableError('astra', `${code}: ${descriptor?.message ?? ''}`, {
        cause: error,
      });
    return new BackendRejectedError('astra', code, descriptor?.message ?? error.message, {
      cause: error,
    });
  }
  if (
    error instanceof TypeError &&
    /fetch failed|ECONNREFUSED|ENOTFOUND|socket/i.test(`${error.message} ${String(error.cause)}`)
  ) {
    return new UnavailableError('astra', error.message, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Read-then-write rounds a versioned save may lose to other writers before giving up. */
const SAVE_ATTEMPTS = 32;

/** The most documents a sorted `find` answers in one request (the Data API's page size). */
const SORTED_CHUNK = 20;

/** Data API error codes of the database's transient failures: worth a retry. */
const TRANSIENT_CODE = /TIMEOUT|UNAVAILABLE|OVERLOADED|TRUNCATED|RETRY/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one Data API command, retrying the optimistic-concurrency miss a bounded number of times. */
async function call<T>(command: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      if (isCode(error, 'FAILED_CONCURRENT_OPERATIONS') && attempt < CONCURRENCY_RETRIES) {
        await sleep(Math.random() * 10 * 2 ** attempt);
        continue;
      }
      throw translate(error);
    }
  }
}

/** Removes `_id` from a stored document: entities carry their own keys. */
function strip<T>(doc: SomeDoc): T {
  const { _id, ...rest } = doc;
  void _id;
  return rest as T;
}

const idCursor = z.strictObject({ i: z.string().max(300) });
const chargeCursor = z.strictObject({ p: z.number().int(), a: z.number().int() });
const emailCursor = z.strictObject({ c: z.number(), i: z.string().max(300) });

/**
 * The repository on Data API collections through astra-db-ts. Deterministic `_id`s make every
 * retried insert idempotent: `DOCUMENT_ALREADY_EXISTS` is the normal "already done" path, which
 * reads back and returns the stored document. Updates are single-document and atomic
 * (`findOneAndUpdate` pinned on `_id`, `$inc`, `$setOnInsert`).
 */
export function createAstraRepository(
  config: AstraRepositoryConfig,
): Repository & { migrate(): Promise<{ applied: boolean }> } {
  const { client, db } = openAstraDb(config);
  const coll = (name: CollectionName): Collection => db.collection(name);

  async function findById<T>(name: CollectionName, id: string, entity: string): Promise<T> {
    const doc = await call(() => coll(name).findOne({ _id: id }));
    if (!doc) throw new NotFoundError(entity, id);
    return strip<T>(doc);
  }

  async function insertOnce<T extends object>(
    name: CollectionName,
    id: string,
    value: T,
    entity: string,
  ): Promise<Stored<T>> {
    try {
      await call(() => coll(name).insertOne({ _id: id, ...value }));
      return { record: value, created: true };
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      return { record: await findById<T>(name, id, entity), created: false };
    }
  }

  /**
   * Stores `value` unless the stored version is the same or newer, with equality filters only
   * (a self-managed Data API rejects range filters such as `$lt` on collection fields): read the
   * stored version, then insert if absent, or update pinned on that exact version. A write that
   * lost a race (a duplicate insert, or `matchedCount: 0` — what the Data API answers when the
   * pinned version moved on) reads again. The workflow is the only writer of its projection, so a
   * retry is rare; each save costs a read and a write.
   */
  async function saveVersioned<T extends { version: number }>(
    name: CollectionName,
    id: string,
    value: T,
    entity: string,
  ): Promise<T> {
    // Each lost race means another writer stored a version: bounded by the writers at once.
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const stored = await call(() => coll(name).findOne({ _id: id }));
      if (!stored) {
        try {
          await call(() => coll(name).insertOne({ _id: id, ...value }));
          return value;
        } catch (error) {
          if (!isDuplicate(error)) throw error;
          continue;
        }
      }
      const current = strip<T>(stored);
      if (current.version >= value.version) return current;
      const result = await call(() =>
        coll(name).updateOne({ _id: id, version: current.version }, { $set: { ...value } }),
      );
      if (result.matchedCount === 1) return value;
    }
    throw new UnavailableError('astra', `too much contention saving ${entity} ${id}`);
  }

  /**
   * One page of a sorted listing, read in chunks of at most `SORTED_CHUNK` documents: a sorted
   * `find` on a field other than `_id` is sorted by the Data API in memory, and answers at most
   * one page (20 documents, or its server's page size) with no page state, whatever `limit`
   * asks — a page of 100 asked at once came back cut to that, with no next cursor. Each chunk
   * asks one more than it keeps, which tells whether another exists, and resumes after the last
   * item kept (`filterFor` builds the filter of a position).
   */
  async function list<T, C extends Record<string, unknown>>(
    listing: string,
    name: CollectionName,
    after: C | undefined,
    filterFor: (after: C | undefined) => SomeDoc,
    sort: Record<string, 1 | -1>,
    limit: number,
    cursorOf: (item: T) => C,
  ): Promise<Page<T>> {
    const items: T[] = [];
    let position = after;
    for (;;) {
      const want = Math.min(limit - items.length, SORTED_CHUNK - 1);
      const filter = filterFor(position);
      const docs = await call(() =>
        coll(name)
          .find(filter, { sort, limit: want + 1 })
          .toArray(),
      );
      const kept = docs.slice(0, want).map((d) => strip<T>(d));
      items.push(...kept);
      const last = kept.at(-1);
      if (docs.length <= want || last === undefined) return { items, nextCursor: null };
      position = cursorOf(last);
      if (items.length >= limit) return { items, nextCursor: encodeCursor(listing, position) };
    }
  }

  /** A full scan in `_id` order, a page at a time (reconciliation). */
  async function scanPage<T>(name: CollectionName, request: PageRequest | undefined) {
    const listing = `scan:${name}`;
    const after = decodeCursor(request?.cursor, idCursor, listing);
    return list<T, NonNullable<typeof after>>(
      listing,
      name,
      after,
      (after) => (after ? { _id: { $gt: after.i } } : {}),
      { _id: 1 },
      validate.pageLimit(request?.limit),
      // The stripped entity has no `_id`: the cursor re-derives it from the entity's key.
      (item) => ({ i: idOf(name, item as object) }),
    );
  }

  /**
   * Folds every document matching `filter` (projected), paging through the cursor. A retried
   * attempt starts from a fresh cursor and `initial`: nothing read before the failure counts twice.
   */
  async function scan<T>(
    name: CollectionName,
    filter: SomeDoc,
    projection: Record<string, 1>,
    initial: T,
    step: (acc: T, doc: SomeDoc) => T,
  ): Promise<T> {
    return call(async () => {
      let acc = initial;
      for await (const doc of coll(name).find(filter, { projection })) acc = step(acc, doc);
      return acc;
    });
  }

  /** Inserts an `access` document of `type` once; a duplicate `_id` returns the stored one. */
  async function typed<T extends object>(
    _id: string,
    type: string,
    value: T,
    extra: Record<string, string> = {},
  ): Promise<Stored<T>> {
    try {
      await call(() => coll('access').insertOne({ _id, type, ...extra, ...value }));
      return { record: value, created: true };
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      return { record: await fromAccess<T>(_id, type, _id), created: false };
    }
  }

  async function fromAccess<T>(_id: string, entity: string, id: string): Promise<T> {
    const doc = await call(() => coll('access').findOne({ _id }));
    if (!doc) throw new NotFoundError(entity, id);
    return accessDoc<T>(doc);
  }

  return {
    backend: 'astra',

    async migrate() {
      const environment = config.environment;
      if (environment !== 'astra') {
        // A self-managed Data API can create its keyspace; on Astra it is made in the console.
        const admin = db.admin({ environment });
        await call(() => admin.createKeyspace(config.keyspace));
      }
      const existing = new Set(await call(() => db.listCollections({ nameOnly: true })));
      let applied = false;
      for (const [name, indexing] of Object.entries(COLLECTIONS)) {
        if (existing.has(name)) continue;
        // createCollection is idempotent for identical settings, so concurrent starts are safe.
        await call(() =>
          db.createCollection(name, { indexing: indexing as CollectionIndexingOptions<SomeDoc> }),
        );
        applied = true;
      }
      return { applied };
    },
    async ping() {
      await call(() => db.listCollections({ nameOnly: true, timeout: 5_000 }));
    },
    close: async () => client.close(),

    customers: {
      create: async (c) => insertOnce('customers', validate.customer(c).id, c, 'customer'),
      get: async (id) => findById<Customer>('customers', validate.id(id), 'customer'),
    },

    subscriptions: {
      save: async (s) =>
        saveVersioned('subscriptions', validate.subscription(s).id, s, 'subscription'),
      get: async (id) =>
        findById<SubscriptionProjection>('subscriptions', validate.id(id), 'subscription'),
      scan: async (request) => scanPage<SubscriptionProjection>('subscriptions', request),
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        const listing = `subscriptions:${customerId}`;
        const after = decodeCursor(request?.cursor, idCursor, listing);
        return list<SubscriptionProjection, NonNullable<typeof after>>(
          listing,
          'subscriptions',
          after,
          (after) => ({ customerId, ...(after ? { id: { $gt: after.i } } : {}) }),
          { id: 1 },
          validate.pageLimit(request?.limit),
          (s) => ({ i: s.id }),
        );
      },
    },

    charges: {
      record: async (e) => insertOnce('charges', chargeKey(validate.charge(e)), e, 'charge'),
      async get(subscriptionId, period, attempt) {
        const key = chargeKey({
          subscriptionId: validate.id(subscriptionId),
          period: validate.positive(period, 'period'),
          attempt: validate.positive(attempt, 'attempt'),
        });
        return findById<ChargeEntry>('charges', key, 'charge');
      },
      async listBySubscription(subscriptionId, request) {
        validate.id(subscriptionId, 'subscriptionId');
        const listing = `charges:${subscriptionId}`;
        const after = decodeCursor(request?.cursor, chargeCursor, listing);
        return list<ChargeEntry, NonNullable<typeof after>>(
          listing,
          'charges',
          after,
          (after) =>
            after
              ? {
                  subscriptionId,
                  $or: [
                    { period: { $gt: after.p } },
                    { period: after.p, attempt: { $gt: after.a } },
                  ],
                }
              : { subscriptionId },
          { period: 1, attempt: 1 },
          validate.pageLimit(request?.limit),
          (c) => ({ p: c.period, a: c.attempt }),
        );
      },
    },

    payments: {
      async claim(p) {
        const stored = await insertOnce(
          'payments',
          validate.payment(p).idempotencyKey,
          p,
          'payment',
        );
        return checkClaim(stored, p);
      },
      get: async (key) => findById<PaymentRecord>('payments', validate.key(key), 'payment'),
      scan: async (request) => scanPage<PaymentRecord>('payments', request),
    },

    loyalty: {
      save: async (a) =>
        saveVersioned(
          'loyalty_accounts',
          validate.loyaltyAccount(a).customerId,
          a,
          'loyalty account',
        ),
      get: async (customerId) =>
        findById<LoyaltyAccount>('loyalty_accounts', validate.id(customerId), 'loyalty account'),
      scan: async (request) => scanPage<LoyaltyAccount>('loyalty_accounts', request),
      async addPoints(customerId, points, at) {
        validate.id(customerId, 'customerId');
        validate.points(points);
        validate.date(at, 'at');
        const inc = { balance: points, lifetimePoints: Math.max(points, 0), version: 1 };
        if (points >= 0) {
          const doc = await call(() =>
            coll('loyalty_accounts').findOneAndUpdate(
              { _id: customerId },
              {
                $inc: inc,
                $set: { updatedAt: at },
                $setOnInsert: { customerId, couponsIssued: 0, couponsRedeemed: 0 },
              },
              { upsert: true, returnDocument: 'after' },
            ),
          );
          if (!doc) throw new UnavailableError('astra', 'upsert returned no document');
          return strip<LoyaltyAccount>(doc);
        }
        // A deduction applies only while the balance covers it: read, then update pinned on the
        // version read (equality only, as every Data API accepts), again if it moved on.
        for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
          const current = await findById<LoyaltyAccount>(
            'loyalty_accounts',
            customerId,
            'loyalty account',
          );
          if (current.balance < -points)
            throw new ValidationError(
              `cannot deduct ${-points} points from a balance of ${current.balance}`,
              { points: 'more than the balance' },
            );
          const doc = await call(() =>
            coll('loyalty_accounts').findOneAndUpdate(
              { _id: customerId, version: current.version },
              { $inc: inc, $set: { updatedAt: at } },
              { returnDocument: 'after' },
            ),
          );
          if (doc) return strip<LoyaltyAccount>(doc);
        }
        throw new UnavailableError('astra', `too much contention on the points of ${customerId}`);
      },
    },

    purchases: {
      record: async (p) =>
        insertOnce('purchase_ledger', ledgerId(validate.purchase(p).customerId, p), p, 'purchase'),
      get: async (customerId, key) =>
        findById<ProcessedPurchase>(
          'purchase_ledger',
          ledgerId(validate.id(customerId, 'customerId'), validate.purchaseKey(key)),
          'purchase',
        ),
      async find(customerId, keys) {
        validate.id(customerId, 'customerId');
        const ids = validate.purchaseKeys(keys).map((key) => ledgerId(customerId, key));
        if (ids.length === 0) return [];
        const docs = await call(() =>
          coll('purchase_ledger')
            .find({ _id: { $in: ids } })
            .toArray(),
        );
        return docs.map((d) => strip<ProcessedPurchase>(d));
      },
      async totals(customerId) {
        validate.id(customerId, 'customerId');
        // No aggregation on the Data API: page through the customer's rows, points only.
        return scan(
          'purchase_ledger',
          { customerId },
          { points: 1 },
          { purchases: 0, points: 0 },
          (t, doc) => ({
            purchases: t.purchases + 1,
            points: t.points + Number(doc['points'] ?? 0),
          }),
        );
      },
    },

    coupons: {
      issue: async (c) => insertOnce('coupons', validate.coupon(c).id, c, 'coupon'),
      get: async (id) => findById<Coupon>('coupons', validate.key(id), 'coupon'),
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        const listing = `coupons:${customerId}`;
        const after = decodeCursor(request?.cursor, idCursor, listing);
        return list<Coupon, NonNullable<typeof after>>(
          listing,
          'coupons',
          after,
          (after) => ({ customerId, ...(after ? { id: { $gt: after.i } } : {}) }),
          { id: 1 },
          validate.pageLimit(request?.limit),
          (c) => ({ i: c.id }),
        );
      },
      async redeem(id, customerId, at, requestId) {
        validate.key(id);
        validate.id(customerId, 'customerId');
        validate.date(at, 'at');
        validate.requestId(requestId);
        const doc = await call(() =>
          coll('coupons').findOneAndUpdate(
            { _id: id, customerId, status: 'issued' },
            { $set: { status: 'redeemed', redeemedAt: at, redeemedBy: requestId } },
            { returnDocument: 'after' },
          ),
        );
        if (doc) return strip<Coupon>(doc);
        const current = await call(() => coll('coupons').findOne({ _id: id }));
        // Another customer's coupon is reported as missing: existence is not disclosed.
        if (!current || current['customerId'] !== customerId) throw new NotFoundError('coupon', id);
        // Redeemed by this very request (its answer was lost): the redemption stands.
        if (current['redeemedBy'] === requestId) return strip<Coupon>(current);
        throw new ConflictError('coupon', id, 'already redeemed');
      },
      async countByCustomer(customerId) {
        validate.id(customerId, 'customerId');
        try {
          return await call(() => coll('coupons').countDocuments({ customerId }, 1_000));
        } catch (error) {
          if (!(error instanceof TooManyDocumentsToCountError)) throw error;
          // Past the Data API's count limit: page through ids.
          return scan('coupons', { customerId }, { _id: 1 }, 0, (n) => n + 1);
        }
      },
    },

    outbox: {
      enqueue: async (e) => insertOnce('outbox', validate.email(e).id, e, 'email'),
      get: async (id) => findById<OutboxEmail>('outbox', validate.key(id), 'email'),
      async markSent(id, at) {
        validate.key(id);
        validate.date(at, 'at');
        await call(() =>
          coll('outbox').updateOne(
            { _id: id, status: 'pending' },
            { $set: { status: 'sent', sentAt: at } },
          ),
        );
        return findById<OutboxEmail>('outbox', id, 'email');
      },
      async markFailed(id, failure) {
        validate.key(id);
        validate.failure(failure);
        await call(() =>
          coll('outbox').updateOne(
            { _id: id, status: 'pending' },
            { $set: { status: 'failed', failure } },
          ),
        );
        return findById<OutboxEmail>('outbox', id, 'email');
      },
      async listPending(limit) {
        const docs = await call(() =>
          coll('outbox')
            .find(
              { status: 'pending' },
              { sort: { createdAt: 1 }, limit: validate.pendingLimit(limit) },
            )
            .toArray(),
        );
        return docs.map((d) => strip<OutboxEmail>(d));
      },
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        const listing = `emails:${customerId}`;
        const after = decodeCursor(request?.cursor, emailCursor, listing);
        return list<OutboxEmail, NonNullable<typeof after>>(
          listing,
          'outbox',
          after,
          (after) =>
            after
              ? {
                  customerId,
                  $or: [
                    { createdAt: { $lt: new Date(after.c) } },
                    { createdAt: new Date(after.c), id: { $gt: after.i } },
                  ],
                }
              : { customerId },
          { createdAt: -1, id: 1 },
          validate.pageLimit(request?.limit),
          (e) => ({ c: e.createdAt.getTime(), i: e.id }),
        );
      },
    },

    access: {
      async createTenant(t) {
        validate.tenant(t);
        return typed(`tenant:${t.id}`, 'tenant', t);
      },
      getTenant: async (id) => fromAccess<Tenant>(`tenant:${validate.tenantId(id)}`, 'tenant', id),
      async createKey(k) {
        validate.apiKey(k);
        return typed(`key:${k.id}`, 'key', k, { owner: k.tenantId ?? '*admin' });
      },
      getKey: async (id) => fromAccess<ApiKeyRecord>(`key:${validate.keyId(id)}`, 'api key', id),
      async listKeys(tenantId) {
        if (tenantId !== null) validate.tenantId(tenantId);
        const docs = await call(() =>
          coll('access')
            .find({ type: 'key', owner: tenantId ?? '*admin' }, { limit: 1_000 })
            .toArray(),
        );
        return docs
          .map((d) => accessDoc<ApiKeyRecord>(d))
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id, b.id));
      },
      async revokeKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        await fromAccess<ApiKeyRecord>(`key:${id}`, 'api key', id);
        await call(() =>
          coll('access').updateOne(
            { _id: `key:${id}`, revokedAt: null },
            { $set: { revokedAt: at } },
          ),
        );
        return fromAccess<ApiKeyRecord>(`key:${id}`, 'api key', id);
      },
      async expireKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        await fromAccess<ApiKeyRecord>(`key:${id}`, 'api key', id);
        // Only ever earlier: unset, or later than `at` (one atomic conditional update).
        await call(() =>
          coll('access').updateOne(
            { _id: `key:${id}`, $or: [{ expiresAt: null }, { expiresAt: { $gt: at } }] },
            { $set: { expiresAt: at } },
          ),
        );
        return fromAccess<ApiKeyRecord>(`key:${id}`, 'api key', id);
      },
      async recordAudit(e) {
        validate.auditEvent(e);
        return typed(`audit:${e.tenantId}:${e.id}`, 'audit', e);
      },
      async listAudit(tenantId, request) {
        validate.tenantId(tenantId);
        const listing = `audit:${tenantId}`;
        const after = decodeCursor(request?.cursor, emailCursor, listing);
        const page = await list<SomeDoc, NonNullable<typeof after>>(
          listing,
          'access',
          after,
          (after) =>
            after
              ? {
                  type: 'audit',
                  tenantId,
                  $or: [
                    { at: { $lt: new Date(after.c) } },
                    { at: new Date(after.c), id: { $gt: after.i } },
                  ],
                }
              : { type: 'audit', tenantId },
          { at: -1, id: 1 },
          validate.pageLimit(request?.limit),
          (e) => ({ c: (e['at'] as Date).getTime(), i: e['id'] as string }),
        );
        return {
          items: page.items.map((d) => accessDoc<AuditEvent>(d)),
          nextCursor: page.nextCursor,
        };
      },
    },

    rateLimits: {
      async hit(bucketName, windowNumber) {
        const { bucket, window } = validate.rateLimitHit(bucketName, windowNumber);
        const id = (n: number) => `rate:${bucket}:${n}`;
        // `$inc` with upsert is atomic on one document: concurrent hits never lose a count.
        const [doc, previous] = await Promise.all([
          call(() =>
            coll(RATE_LIMITS).findOneAndUpdate(
              { _id: id(window) },
              { $inc: { hits: 1 } },
              { upsert: true, returnDocument: 'after' },
            ),
          ),
          call(() => coll(RATE_LIMITS).findOne({ _id: id(window - 1) })),
        ]);
        const current = Number(doc?.['hits'] ?? 1);
        if (current === 1) {
          // The first hit of a window removes the one two steps back: nothing reads it again.
          void call(() => coll(RATE_LIMITS).deleteOne({ _id: id(window - 2) })).catch(
            () => undefined,
          );
        }
        return { current, previous: Number(previous?.['hits'] ?? 0) };
      },
    },
    reconciliation: {
      async startRun(r) {
        const id = validate.run(r).id;
        try {
          await call(() =>
            coll('reconciliation').insertOne({ _id: `run:${id}`, type: 'run', ...r }),
          );
          return { record: r, created: true };
        } catch (error) {
          if (!isDuplicate(error)) throw error;
          return { record: await findRun(id), created: false };
        }
      },
      async finishRun(id, finishedAt, counts) {
        validate.key(id);
        validate.date(finishedAt, 'finishedAt');
        validate.runCounts(counts);
        await call(() =>
          coll('reconciliation').updateOne(
            { _id: `run:${id}`, status: 'running' },
            { $set: { status: 'completed', finishedAt, ...counts } },
          ),
        );
        const stored = await findRun(id);
        const at = stored.finishedAt ?? finishedAt;
        try {
          // Guarded by the finish instant: of any order of writes, the run that finished last wins.
          await call(() =>
            coll('reconciliation').updateOne(
              { _id: 'latest', finishedAt: { $lt: at } },
              { $set: { type: 'latest', runId: id, finishedAt: at } },
              { upsert: true },
            ),
          );
        } catch (error) {
          if (!isDuplicate(error)) throw error;
        }
        return stored;
      },
      getRun: async (id) => findRun(validate.key(id)),
      async latestRun() {
        const doc = await call(() => coll('reconciliation').findOne({ _id: 'latest' }));
        return doc ? findRun(String(doc['runId'])) : null;
      },
      async observe(runId, observation, at) {
        validate.key(runId, 'runId');
        validate.observation(observation);
        validate.date(at, 'at');
        const _id = `finding:${observation.key}`;
        for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
          const doc = await call(() => coll('reconciliation').findOne({ _id }));
          const stored = doc ? toFinding(doc) : undefined;
          const next = observedFinding(stored, runId, observation, at);
          if (next === stored) return next;
          if (stored === undefined) {
            try {
              await call(() => coll('reconciliation').insertOne({ _id, type: 'finding', ...next }));
              return next;
            } catch (error) {
              if (!isDuplicate(error)) throw error;
              continue; // another writer stored it first: decide again from what it stored
            }
          }
          const { matchedCount } = await call(() =>
            coll('reconciliation').updateOne(
              { _id, lastRunId: stored.lastRunId },
              {
                $set: {
                  expected: next.expected,
                  actual: next.actual,
                  status: next.status,
                  lastSeenAt: next.lastSeenAt,
                  lastRunId: next.lastRunId,
                },
              },
            ),
          );
          if (matchedCount === 1) return next;
        }
        throw new UnavailableError('astra', `too much contention on finding ${observation.key}`);
      },
      async markUnobserved(key, lastRunId) {
        validate.key(key);
        validate.key(lastRunId, 'lastRunId');
        await call(() =>
          coll('reconciliation').updateOne(
            { _id: `finding:${key}`, status: 'open', lastRunId },
            { $set: { status: 'unobserved' } },
          ),
        );
        return findFinding(key);
      },
      getFinding: async (key) => findFinding(validate.key(key)),
      async listFindings(status, request) {
        const wanted = validate.findingStatus(status);
        const listing = `findings:${wanted}`;
        const after = decodeCursor(request?.cursor, idCursor, listing);
        const listed = await list<SomeDoc, NonNullable<typeof after>>(
          listing,
          'reconciliation',
          after,
          (after) => ({
            type: 'finding',
            ...(wanted === 'open' ? { status: 'open' } : {}),
            ...(after ? { key: { $gt: after.i } } : {}),
          }),
          { key: 1 },
          validate.pageLimit(request?.limit),
          (f) => ({ i: String(f['key']) }),
        );
        return { items: listed.items.map(toFinding), nextCursor: listed.nextCursor };
      },
    },
  };

  async function findRun(id: string): Promise<ReconciliationRun> {
    const { type, ...run } = await findById<SomeDoc>(
      'reconciliation',
      `run:${id}`,
      'reconciliation run',
    );
    void type;
    return run as ReconciliationRun;
  }

  async function findFinding(key: string): Promise<ReconciliationFinding> {
    return toFinding(await findById<SomeDoc>('reconciliation', `finding:${key}`, 'finding'));
  }
}

/** A stored finding document as the entity (without `_id` and `type`). */
function toFinding(doc: SomeDoc): ReconciliationFinding {
  const { _id, type, ...finding } = doc;
  void _id;
  void type;
  return finding as ReconciliationFinding;
}

/** The `_id` of an entity of a scanned collection (the cursor of a full scan). */
function idOf(name: CollectionName, item: object): string {
  const entity = item as Record<string, unknown>;
  const key =
    name === 'payments'
      ? entity['idempotencyKey']
      : name === 'loyalty_accounts'
        ? entity['customerId']
        : entity['id'];
  return String(key);
}

/** An `access` document as its entity: without `_id` and the listing fields. */
function accessDoc<T>(doc: SomeDoc): T {
  const { type, owner, ...rest } = strip<SomeDoc>(doc);
  void type;
  void owner;
  return rest as T;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `_id` of a ledger row: the customer's own id space, split by source. */
function ledgerId(customerId: string, key: { source: string; purchaseId: string }): string {
  return `${customerId}/${key.source}/${key.purchaseId}`;
}

/** An insert (or upsert's insert) on an `_id` that exists: the idempotent "already done" path. */
function isDuplicate(error: unknown): boolean {
  const cause = error instanceof UnavailableError ? undefined : error;
  return (
    isCode(cause, 'DOCUMENT_ALREADY_EXISTS') ||
    (cause instanceof Error && /DOCUMENT_ALREADY_EXISTS/.test(cause.message))
  );
}
