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
  InvalidCursorError,
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
import { tenantOf } from '../model/tenancy';
import { validate } from '../model/validation';
import { decodeCursor, encodeCursor } from '../ports/cursor';
import type { Page, PageRequest, Stored } from '../ports/paging';
import type { Repository } from '../ports/repository';
import { openAstraDb } from './db';

/**
 * The one Data API collection the app needs. Every entity is a typed document in it (`ty`, and
 * an `_id` of `<ty>:<key>`): a stock Data API allows 5 collections per database (HCD: per
 * keyspace; Astra: about 10, or 5 for databases made before June 2024), so one collection leaves
 * room for the test keyspace and for the user's own. Listings read by equality on `ls` only —
 * a self-managed Data API rejects range filters and `$or`, and sorts in memory (a page of 50 at
 * most, no page state, over at most 10,000 documents) — see `pageThrough` and `walkBuckets`.
 */
export const COLLECTION = 'invincible';

/**
 * The fields the collection indexes: those filtered on (`_id` is always indexed). Everything
 * else is stored, not indexed. A Data API cannot change a collection's indexing: a change here
 * is a new schema step that copies into a new collection.
 */
export const INDEXING = {
  allow: ['ty', 'ls', 'version', 'status', 'revokedAt', 'expiresAt', 'finishedAt', 'lastRunId'],
} as const satisfies CollectionIndexingOptions<SomeDoc>;

/** The collections of the layout before schema version 1 (one per entity), which `migrate` copies. */
export const LEGACY_COLLECTIONS = [
  'customers',
  'subscriptions',
  'charges',
  'payments',
  'loyalty_accounts',
  'processed_purchases',
  'purchase_ledger',
  'coupons',
  'outbox',
  'reconciliation',
  'access',
] as const;

/** The layout's version, kept in the `schema` document; `migrate` brings a keyspace up to it. */
export const SCHEMA_VERSION = 2;

/** Document types: the first part of every `_id`, and the `ty` field scans filter on. */
type DocType =
  | 'customer'
  | 'subscription'
  | 'charge'
  | 'payment'
  | 'loyalty'
  | 'purchase'
  | 'coupon'
  | 'email'
  | 'run'
  | 'finding'
  | 'tenant'
  | 'key'
  | 'audit'
  | 'rate'
  | 'extent'
  | 'entry'
  | 'meta';

/** The adapter's own fields of a document; an entity never has them (`envelope` checks). */
const ENVELOPE = ['_id', 'ty', 'ls', 'sq'] as const;

/**
 * Periods of one subscription's charges per listing bucket (0–24 bucket 0, 25–49 bucket 1…): one
 * Data API page (50) at one or two attempts a period, two at the most dunning allows.
 */
const PERIODS_PER_BUCKET = 25;
/** Audit events per listing bucket (by the tenant's sequence number). */
const AUDIT_PER_BUCKET = 50;

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

/** The document of an entity: its envelope (`_id`, `ty`, and `ls`/`sq` when it is listed) and its fields. */
function envelope(
  ty: DocType,
  key: string,
  value: object,
  listed: { ls?: string; sq?: number } = {},
): SomeDoc {
  for (const field of ENVELOPE) {
    if (field in value) throw new Error(`an entity must not have the field ${field}`);
  }
  return { _id: `${ty}:${key}`, ty, ...listed, ...value };
}

/** A stored document as its entity: without the envelope. */
function entity<T>(doc: SomeDoc): T {
  const rest: SomeDoc = { ...doc };
  for (const field of ENVELOPE) delete rest[field];
  return rest as T;
}

/** A position inside a listing's bucket: the sort key of the last item returned. */
type Position = readonly (number | string)[];

/** Lexicographic order of positions; a crafted position of other types compares as text. */
function comparePositions(a: Position, b: Position): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Where an unordered listing stands: the page state of the Data API page, and the last `_id` returned from it. */
const pageCursor = z.strictObject({
  s: z.string().max(1_500).nullable(),
  a: z.string().max(700).nullable(),
});
/** Where a bucketed listing stands: the bucket, and the position of the last item returned in it. */
const bucketCursor = z.strictObject({
  b: z.number().int(),
  p: z.array(z.union([z.number(), z.string().max(600)])).max(4),
});

/** The month (UTC, counted from year 0) an email is listed under. */
const monthOf = (at: Date) => at.getUTCFullYear() * 12 + at.getUTCMonth();

/** The `_id` of a ledger row: the customer's own id space, split by source. */
const ledgerKey = (customerId: string, key: { source: string; purchaseId: string }) =>
  `${customerId}/${key.source}/${key.purchaseId}`;

/** Listing keys (`ls`): equality on one indexed field finds a listing, or one bucket of it. */
const listingOf = {
  subscriptions: (customerId: string) => `subscriptions:${customerId}`,
  charges: (subscriptionId: string) => `charges:${subscriptionId}`,
  purchases: (customerId: string) => `purchases:${customerId}`,
  coupons: (customerId: string) => `coupons:${customerId}`,
  emails: (customerId: string) => `emails:${customerId}`,
  keys: (tenantId: string | null) => `keys:${tenantId ?? '*admin'}`,
  audit: (tenantId: string) => `audit:${tenantId}`,
  /**
   * A tenant's audit events about one subject (e.g. `subscription:sub_1`): `entry` documents
   * (`ref` names the event), bucketed by the subject's own sequence number like `audit`.
   */
  auditBySubject: (tenantId: string, subject: string) => `audit-subject:${tenantId}:${subject}`,
  /** A tenant's customers: their own documents carry it. */
  tenantCustomers: (tenantId: string) => `tenant-customers:${tenantId}`,
  /**
   * A tenant's subscriptions: a subscription's own `ls` is its customer's listing, so this one
   * is made of `entry` documents (`ref` names the subscription), one per subscription.
   */
  tenantSubscriptions: (tenantId: string) => `tenant-subscriptions:${tenantId}`,
};

/** The tenant listing of a stored id (`<tenantId>~…`), or nothing for an id without a tenant. */
const tenantListing = (id: string, listing: (tenantId: string) => string): { ls?: string } => {
  const tenant = tenantOf(id);
  return tenant === null ? {} : { ls: listing(tenant) };
};
const inBucket = (listing: string, bucket: number) => `${listing}#${bucket}`;

/**
 * The repository on one Data API collection through astra-db-ts. Deterministic `_id`s make every
 * retried insert idempotent: `DOCUMENT_ALREADY_EXISTS` is the normal "already done" path, which
 * reads back and returns the stored document. Filters are equalities only (a self-managed Data
 * API rejects `$lt`, `$gt`, `$gte` and `$or` on document fields); updates are single-document and
 * atomic (`$inc`, `$setOnInsert`, `$addToSet`, or pinned on a version read before).
 */
export function createAstraRepository(
  config: AstraRepositoryConfig,
): Repository & { migrate(): Promise<{ applied: boolean }> } {
  const { client, db } = openAstraDb(config);
  const coll = (name: string = COLLECTION): Collection => db.collection(name);

  async function findDoc(_id: string): Promise<SomeDoc | null> {
    return call(() => coll().findOne({ _id }));
  }

  async function findById<T>(ty: DocType, key: string, entityName: string): Promise<T> {
    const doc = await findDoc(`${ty}:${key}`);
    if (!doc) throw new NotFoundError(entityName, key);
    return entity<T>(doc);
  }

  async function insertOnce<T extends object>(
    ty: DocType,
    key: string,
    value: T,
    entityName: string,
    listed: { ls?: string; sq?: number } = {},
  ): Promise<Stored<T>> {
    try {
      await call(() => coll().insertOne(envelope(ty, key, value, listed)));
      return { record: value, created: true };
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      return { record: await findById<T>(ty, key, entityName), created: false };
    }
  }

  /**
   * Stores `value` unless the stored version is the same or newer, with equality filters only:
   * read the stored version, then insert if absent, or update pinned on that exact version. A
   * write that lost a race (a duplicate insert, or `matchedCount: 0` — what the Data API answers
   * when the pinned version moved on) reads again. The workflow is the only writer of its
   * projection, so a retry is rare; each save costs a read and a write.
   */
  async function saveVersioned<T extends { version: number }>(
    ty: DocType,
    key: string,
    value: T,
    entityName: string,
    listed: { ls?: string } = {},
    /** Runs before the document's first insert (a second listing's entry, written first). */
    beforeInsert?: () => Promise<void>,
  ): Promise<T> {
    const _id = `${ty}:${key}`;
    // Each lost race means another writer stored a version: bounded by the writers at once.
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const stored = await findDoc(_id);
      if (!stored) {
        await beforeInsert?.();
        try {
          await call(() => coll().insertOne(envelope(ty, key, value, listed)));
          return value;
        } catch (error) {
          if (!isDuplicate(error)) throw error;
          continue;
        }
      }
      const current = entity<T>(stored);
      if (current.version >= value.version) return current;
      const result = await call(() =>
        coll().updateOne({ _id, version: current.version }, { $set: { ...value } }),
      );
      if (result.matchedCount === 1) return value;
    }
    throw new UnavailableError('astra', `too much contention saving ${entityName} ${key}`);
  }

  /**
   * Lists the document `ref` (an `_id`) under `listing` too, through an `entry` document: for an
   * entity whose own `ls` is another listing. An insert with a deterministic `_id`, so a retry
   * (or a second save) finds it there and changes nothing.
   */
  async function addEntry(listing: string, key: string, ref: string): Promise<void> {
    try {
      await call(() =>
        coll().insertOne(envelope('entry', `${listing}/${key}`, { ref }, { ls: listing })),
      );
    } catch (error) {
      if (!isDuplicate(error)) throw error;
    }
  }

  /**
   * A page of the `entry` documents of `listing`, as the documents they refer to: read by `_id`
   * (in parallel), without those not stored (yet) — the page may then hold fewer than its limit.
   */
  async function pageOfEntries<T>(listing: string, request: PageRequest | undefined) {
    const refs = await pageThrough(listing, { ls: listing }, request, (d) => String(d['ref']));
    const docs = await Promise.all(refs.items.map((ref) => findDoc(ref)));
    return {
      items: docs.filter((d): d is SomeDoc => d !== null).map((d) => entity<T>(d)),
      nextCursor: refs.nextCursor,
    };
  }

  /** Every document of `filter`, all pages (a listing's bucket, or a small listing). */
  async function readAll(filter: SomeDoc): Promise<SomeDoc[]> {
    return call(() => coll().find(filter).toArray());
  }

  /**
   * One page of a listing with no promised order, in the Data API's own order and paging: an
   * unsorted `find` pages by the page state it answers (50 documents a page). A page asked
   * smaller than that resumes inside the Data API's page, after the last `_id` returned, so a
   * cursor is the page state of the page it stopped in and that `_id`.
   */
  async function pageThrough<T>(
    listing: string,
    filter: SomeDoc,
    request: PageRequest | undefined,
    map: (doc: SomeDoc) => T,
  ): Promise<Page<T>> {
    const limit = validate.pageLimit(request?.limit);
    const cursor = decodeCursor(request?.cursor, pageCursor, listing);
    const items: T[] = [];
    let state = cursor?.s ?? undefined;
    let after = cursor?.a ?? undefined;
    for (;;) {
      const page = await fetchPage(filter, state);
      let docs = page.result;
      if (after !== undefined) {
        const last = docs.findIndex((d) => d['_id'] === after);
        docs = docs.slice(last + 1);
        after = undefined;
      }
      const taken = docs.slice(0, limit - items.length);
      items.push(...taken.map(map));
      const lastTaken = taken.at(-1);
      if (taken.length < docs.length && lastTaken) {
        return {
          items,
          nextCursor: encodeCursor(listing, { s: state ?? null, a: String(lastTaken['_id']) }),
        };
      }
      if (page.nextPageState === null) return { items, nextCursor: null };
      state = page.nextPageState;
      if (items.length >= limit) {
        return { items, nextCursor: encodeCursor(listing, { s: state, a: null }) };
      }
    }
  }

  /**
   * One Data API page of `filter` from `state`. A page state only the Data API can read that it
   * refuses is the caller's cursor at fault when the same query without it succeeds.
   */
  async function fetchPage(filter: SomeDoc, state: string | undefined) {
    try {
      return await call(() => coll().find(filter).initialPageState(state).fetchNextPage());
    } catch (error) {
      if (state === undefined || !(error instanceof BackendRejectedError)) throw error;
      await call(() => coll().find(filter, { limit: 1 }).toArray()).catch(() => {
        throw error;
      });
      throw new InvalidCursorError('not a cursor of this listing');
    }
  }

  /**
   * One page of an ordered listing, without a sort on the Data API: the listing's documents are
   * split into buckets (`ls` = `<listing>#<bucket>`), each small enough to read whole; `buckets`
   * tells which buckets hold documents, in the order to walk them, and `position` orders the
   * documents inside one. A cursor is a bucket and the position of the last item returned.
   */
  async function walkBuckets<T>(
    listing: string,
    request: PageRequest | undefined,
    buckets: () => Promise<number[]>,
    direction: 1 | -1,
    position: (doc: SomeDoc) => Position,
    map: (doc: SomeDoc) => T,
  ): Promise<Page<T>> {
    const limit = validate.pageLimit(request?.limit);
    const cursor = decodeCursor(request?.cursor, bucketCursor, listing);
    const walk = await buckets();
    const start = cursor ? walk.findIndex((b) => direction * (b - cursor.b) >= 0) : 0;
    const items: T[] = [];
    if (start < 0) return { items, nextCursor: null };
    for (let i = start; i < walk.length; i++) {
      const bucket = walk[i] as number;
      let docs = (await readAll({ ls: inBucket(listing, bucket) }))
        .map((doc) => ({ doc, at: position(doc) }))
        .sort((x, y) => comparePositions(x.at, y.at));
      if (cursor && bucket === cursor.b) {
        docs = docs.filter((d) => comparePositions(d.at, cursor.p) > 0);
      }
      const taken = docs.slice(0, limit - items.length);
      items.push(...taken.map((d) => map(d.doc)));
      const last = taken.at(-1);
      const more = taken.length < docs.length || i + 1 < walk.length;
      if (items.length >= limit && last) {
        return {
          items,
          nextCursor: more ? encodeCursor(listing, { b: bucket, p: [...last.at] }) : null,
        };
      }
    }
    return { items, nextCursor: null };
  }

  /**
   * Adds `bucket` to the buckets a listing holds documents in, before the document is written:
   * a listed document's bucket is always known (a crash in between leaves an empty bucket,
   * which costs a reader one read). `$addToSet` is idempotent, so a retry adds nothing.
   */
  async function addBucket(listing: string, bucket: number): Promise<void> {
    await call(() =>
      coll().updateOne(
        { _id: `extent:${listing}` },
        { $addToSet: { buckets: bucket }, $setOnInsert: { ty: 'extent' } },
        { upsert: true },
      ),
    );
  }

  async function bucketsOf(listing: string, direction: 1 | -1): Promise<number[]> {
    const doc = await findDoc(`extent:${listing}`);
    const buckets = Array.isArray(doc?.['buckets']) ? (doc['buckets'] as number[]) : [];
    return [...buckets].sort((a, b) => direction * (a - b));
  }

  /**
   * The next sequence number of a listing numbered in the order recorded (an audit log): `$inc`
   * with upsert on its `extent` document, atomic, so no two writes get the same number.
   */
  async function nextNumber(listing: string): Promise<number> {
    const counter = await call(() =>
      coll().findOneAndUpdate(
        { _id: `extent:${listing}` },
        { $inc: { seq: 1 }, $setOnInsert: { ty: 'extent' } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    const sq = Number(counter?.['seq']);
    if (!Number.isSafeInteger(sq)) throw new UnavailableError('astra', 'no sequence number');
    return sq;
  }

  /** The buckets of a sequence-numbered listing (see `nextNumber`), newest first. */
  async function newestBucketsFirst(listing: string): Promise<number[]> {
    const counter = await findDoc(`extent:${listing}`);
    const last = Math.floor(Number(counter?.['seq'] ?? -1) / AUDIT_PER_BUCKET);
    return Array.from({ length: Math.max(last + 1, 0) }, (_, i) => last - i);
  }

  /** Reads a document of `ty` and applies `next` with an update pinned on `field`'s value read. */
  async function updatePinned<T>(
    ty: DocType,
    key: string,
    entityName: string,
    field: string,
    next: (current: SomeDoc) => SomeDoc | undefined,
  ): Promise<T> {
    const _id = `${ty}:${key}`;
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
      const current = await findDoc(_id);
      if (!current) throw new NotFoundError(entityName, key);
      const set = next(current);
      if (set === undefined) return entity<T>(current);
      const { matchedCount } = await call(() =>
        coll().updateOne({ _id, [field]: (current[field] as unknown) ?? null }, { $set: set }),
      );
      if (matchedCount === 1) return entity<T>({ ...current, ...set });
    }
    throw new UnavailableError('astra', `too much contention on ${entityName} ${key}`);
  }

  /**
   * Folds every document matching `filter` (projected), paging through the Data API's pages. A
   * retried attempt starts again from `initial`: nothing read before the failure counts twice.
   */
  async function fold<T>(
    filter: SomeDoc,
    projection: Record<string, 1>,
    initial: T,
    step: (acc: T, doc: SomeDoc) => T,
  ): Promise<T> {
    return call(async () => {
      let acc = initial;
      for await (const doc of coll().find(filter, { projection })) acc = step(acc, doc);
      return acc;
    });
  }

  const repository: Repository = {
    backend: 'astra',

    async ping() {
      await call(() => db.listCollections({ nameOnly: true, timeout: 5_000 }));
    },
    close: async () => client.close(),

    customers: {
      create: async (c) =>
        insertOnce(
          'customer',
          validate.customer(c).id,
          c,
          'customer',
          tenantListing(c.id, listingOf.tenantCustomers),
        ),
      get: async (id) => findById<Customer>('customer', validate.id(id), 'customer'),
      async listByTenant(tenantId, request) {
        const listing = listingOf.tenantCustomers(validate.tenantId(tenantId));
        return pageThrough(listing, { ls: listing }, request, (d) => entity<Customer>(d));
      },
    },

    subscriptions: {
      async save(s) {
        const { ls } = tenantListing(validate.subscription(s).id, listingOf.tenantSubscriptions);
        return saveVersioned(
          'subscription',
          s.id,
          s,
          'subscription',
          { ls: listingOf.subscriptions(s.customerId) },
          ls === undefined ? undefined : () => addEntry(ls, s.id, `subscription:${s.id}`),
        );
      },
      async listByTenant(tenantId, request) {
        const listing = listingOf.tenantSubscriptions(validate.tenantId(tenantId));
        return pageOfEntries<SubscriptionProjection>(listing, request);
      },
      get: async (id) =>
        findById<SubscriptionProjection>('subscription', validate.id(id), 'subscription'),
      scan: async (request) =>
        pageThrough('scan:subscriptions', { ty: 'subscription' }, request, (d) =>
          entity<SubscriptionProjection>(d),
        ),
      async listByCustomer(customerId, request) {
        const listing = listingOf.subscriptions(validate.id(customerId, 'customerId'));
        return pageThrough(listing, { ls: listing }, request, (d) =>
          entity<SubscriptionProjection>(d),
        );
      },
    },

    charges: {
      async record(e) {
        const key = chargeKey(validate.charge(e));
        const listing = listingOf.charges(e.subscriptionId);
        const bucket = Math.floor(e.period / PERIODS_PER_BUCKET);
        await addBucket(listing, bucket);
        return insertOnce('charge', key, e, 'charge', { ls: inBucket(listing, bucket) });
      },
      async get(subscriptionId, period, attempt) {
        const key = chargeKey({
          subscriptionId: validate.id(subscriptionId),
          period: validate.positive(period, 'period'),
          attempt: validate.positive(attempt, 'attempt'),
        });
        return findById<ChargeEntry>('charge', key, 'charge');
      },
      async listBySubscription(subscriptionId, request) {
        const listing = listingOf.charges(validate.id(subscriptionId, 'subscriptionId'));
        return walkBuckets(
          listing,
          request,
          () => bucketsOf(listing, 1),
          1,
          (d) => [Number(d['period']), Number(d['attempt'])],
          (d) => entity<ChargeEntry>(d),
        );
      },
    },

    payments: {
      async claim(p) {
        const key = validate.payment(p).idempotencyKey;
        return checkClaim(await insertOnce('payment', key, p, 'payment'), p);
      },
      get: async (key) => findById<PaymentRecord>('payment', validate.key(key), 'payment'),
      scan: async (request) =>
        pageThrough('scan:payments', { ty: 'payment' }, request, (d) => entity<PaymentRecord>(d)),
    },

    loyalty: {
      save: async (a) =>
        saveVersioned('loyalty', validate.loyaltyAccount(a).customerId, a, 'loyalty account'),
      get: async (customerId) =>
        findById<LoyaltyAccount>('loyalty', validate.id(customerId), 'loyalty account'),
      scan: async (request) =>
        pageThrough('scan:loyalty', { ty: 'loyalty' }, request, (d) => entity<LoyaltyAccount>(d)),
      async addPoints(customerId, points, at) {
        validate.id(customerId, 'customerId');
        validate.points(points);
        validate.date(at, 'at');
        const _id = `loyalty:${customerId}`;
        const inc = { balance: points, lifetimePoints: Math.max(points, 0), version: 1 };
        if (points >= 0) {
          const doc = await call(() =>
            coll().findOneAndUpdate(
              { _id },
              {
                $inc: inc,
                $set: { updatedAt: at },
                $setOnInsert: { ty: 'loyalty', customerId, couponsIssued: 0, couponsRedeemed: 0 },
              },
              { upsert: true, returnDocument: 'after' },
            ),
          );
          if (!doc) throw new UnavailableError('astra', 'upsert returned no document');
          return entity<LoyaltyAccount>(doc);
        }
        // A deduction applies only while the balance covers it: read, then update pinned on the
        // version read (equality only, as every Data API accepts), again if it moved on.
        for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
          const current = await findById<LoyaltyAccount>('loyalty', customerId, 'loyalty account');
          if (current.balance < -points)
            throw new ValidationError(
              `cannot deduct ${-points} points from a balance of ${current.balance}`,
              { points: 'more than the balance' },
            );
          const doc = await call(() =>
            coll().findOneAndUpdate(
              { _id, version: current.version },
              { $inc: inc, $set: { updatedAt: at } },
              { returnDocument: 'after' },
            ),
          );
          if (doc) return entity<LoyaltyAccount>(doc);
        }
        throw new UnavailableError('astra', `too much contention on the points of ${customerId}`);
      },
    },

    purchases: {
      record: async (p) =>
        insertOnce('purchase', ledgerKey(validate.purchase(p).customerId, p), p, 'purchase', {
          ls: listingOf.purchases(p.customerId),
        }),
      get: async (customerId, key) =>
        findById<ProcessedPurchase>(
          'purchase',
          ledgerKey(validate.id(customerId, 'customerId'), validate.purchaseKey(key)),
          'purchase',
        ),
      async find(customerId, keys) {
        validate.id(customerId, 'customerId');
        const ids = validate
          .purchaseKeys(keys)
          .map((key) => `purchase:${ledgerKey(customerId, key)}`);
        if (ids.length === 0) return [];
        const docs = await call(() =>
          coll()
            .find({ _id: { $in: ids } })
            .toArray(),
        );
        return docs.map((d) => entity<ProcessedPurchase>(d));
      },
      async totals(customerId) {
        validate.id(customerId, 'customerId');
        // No aggregation on the Data API: page through the customer's rows, points only.
        return fold(
          { ls: listingOf.purchases(customerId) },
          { points: 1 },
          { purchases: 0, points: 0 },
          (t, doc) => ({
            purchases: t.purchases + 1,
            points: t.points + Number(doc['points'] ?? 0),
          }),
        );
      },
      async listByCustomer(customerId, request) {
        const listing = listingOf.purchases(validate.id(customerId, 'customerId'));
        return pageThrough(listing, { ls: listing }, request, (d) => entity<ProcessedPurchase>(d));
      },
    },

    coupons: {
      issue: async (c) =>
        insertOnce('coupon', validate.coupon(c).id, c, 'coupon', {
          ls: listingOf.coupons(c.customerId),
        }),
      get: async (id) => findById<Coupon>('coupon', validate.key(id), 'coupon'),
      async listByCustomer(customerId, request) {
        const listing = listingOf.coupons(validate.id(customerId, 'customerId'));
        return pageThrough(listing, { ls: listing }, request, (d) => entity<Coupon>(d));
      },
      async redeem(id, customerId, at, requestId) {
        validate.key(id);
        validate.id(customerId, 'customerId');
        validate.date(at, 'at');
        validate.requestId(requestId);
        // Pinned on the owner's listing and the status: one atomic compare-and-set.
        const doc = await call(() =>
          coll().findOneAndUpdate(
            { _id: `coupon:${id}`, ls: listingOf.coupons(customerId), status: 'issued' },
            { $set: { status: 'redeemed', redeemedAt: at, redeemedBy: requestId } },
            { returnDocument: 'after' },
          ),
        );
        if (doc) return entity<Coupon>(doc);
        const current = await findDoc(`coupon:${id}`);
        // Another customer's coupon is reported as missing: existence is not disclosed.
        if (!current || current['customerId'] !== customerId) throw new NotFoundError('coupon', id);
        // Redeemed by this very request (its answer was lost): the redemption stands.
        if (current['redeemedBy'] === requestId) return entity<Coupon>(current);
        throw new ConflictError('coupon', id, 'already redeemed');
      },
      async countByCustomer(customerId) {
        const filter = { ls: listingOf.coupons(validate.id(customerId, 'customerId')) };
        try {
          return await call(() => coll().countDocuments(filter, 1_000));
        } catch (error) {
          if (!(error instanceof TooManyDocumentsToCountError)) throw error;
          // Past the Data API's count limit: page through ids.
          return fold(filter, { _id: 1 }, 0, (n) => n + 1);
        }
      },
    },

    outbox: {
      async enqueue(e) {
        validate.email(e);
        const listing = listingOf.emails(e.customerId);
        const bucket = monthOf(e.createdAt);
        await addBucket(listing, bucket);
        return insertOnce('email', e.id, e, 'email', { ls: inBucket(listing, bucket) });
      },
      get: async (id) => findById<OutboxEmail>('email', validate.key(id), 'email'),
      async markSent(id, at) {
        validate.key(id);
        validate.date(at, 'at');
        await call(() =>
          coll().updateOne(
            { _id: `email:${id}`, status: 'pending' },
            { $set: { status: 'sent', sentAt: at } },
          ),
        );
        return findById<OutboxEmail>('email', id, 'email');
      },
      async markFailed(id, failure) {
        validate.key(id);
        validate.failure(failure);
        await call(() =>
          coll().updateOne(
            { _id: `email:${id}`, status: 'pending' },
            { $set: { status: 'failed', failure } },
          ),
        );
        return findById<OutboxEmail>('email', id, 'email');
      },
      async listPending(limit) {
        const docs = await call(() =>
          coll()
            .find({ ty: 'email', status: 'pending' }, { limit: validate.pendingLimit(limit) })
            .toArray(),
        );
        return docs.map((d) => entity<OutboxEmail>(d));
      },
      async listByCustomer(customerId, request) {
        const listing = listingOf.emails(validate.id(customerId, 'customerId'));
        // Newest first: months from the latest, inside a month by createdAt (newest) then id.
        return walkBuckets(
          listing,
          request,
          () => bucketsOf(listing, -1),
          -1,
          (d) => [-dateMillis(d['createdAt']), String(d['id'])],
          (d) => entity<OutboxEmail>(d),
        );
      },
    },

    access: {
      async createTenant(t) {
        return insertOnce('tenant', validate.tenant(t).id, t, 'tenant');
      },
      getTenant: async (id) => findById<Tenant>('tenant', validate.tenantId(id), 'tenant'),
      async createKey(k) {
        validate.apiKey(k);
        return insertOnce('key', k.id, k, 'api key', { ls: listingOf.keys(k.tenantId ?? null) });
      },
      getKey: async (id) => findById<ApiKeyRecord>('key', validate.keyId(id), 'api key'),
      async listKeys(tenantId) {
        if (tenantId !== null) validate.tenantId(tenantId);
        const docs = await call(() =>
          coll()
            .find({ ls: listingOf.keys(tenantId) }, { limit: 1_000 })
            .toArray(),
        );
        return docs
          .map((d) => entity<ApiKeyRecord>(d))
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id, b.id));
      },
      async revokeKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        return updatePinned<ApiKeyRecord>('key', id, 'api key', 'revokedAt', (current) =>
          current['revokedAt'] == null ? { revokedAt: at } : undefined,
        );
      },
      async expireKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        // Only ever earlier: unset, or later than `at`.
        return updatePinned<ApiKeyRecord>('key', id, 'api key', 'expiresAt', (current) => {
          const expiresAt: unknown = current['expiresAt'];
          return expiresAt == null || dateMillis(expiresAt) > at.getTime()
            ? { expiresAt: at }
            : undefined;
        });
      },
      async recordAudit(e) {
        validate.auditEvent(e);
        const key = `${e.tenantId}:${e.id}`;
        const listing = listingOf.audit(e.tenantId);
        // Newest first by the order recorded: the tenant's sequence numbers the events, and each
        // bucket holds AUDIT_PER_BUCKET of them. A retry spends a number; the stored event keeps
        // the first (a gap costs nothing).
        const sq = await nextNumber(listing);
        // The subject's entry first (a reader skips one whose event is not stored yet). A retry
        // spends a number of the subject's too; its entry keeps the first (a duplicate insert).
        if (e.subject) {
          const bySubject = listingOf.auditBySubject(e.tenantId, e.subject);
          const numbered = await nextNumber(bySubject);
          try {
            await call(() =>
              coll().insertOne(
                envelope(
                  'entry',
                  `${bySubject}/${e.id}`,
                  { ref: `audit:${key}` },
                  {
                    ls: inBucket(bySubject, Math.floor(numbered / AUDIT_PER_BUCKET)),
                    sq: numbered,
                  },
                ),
              ),
            );
          } catch (error) {
            if (!isDuplicate(error)) throw error;
          }
        }
        return insertOnce('audit', key, e, 'audit event', {
          ls: inBucket(listing, Math.floor(sq / AUDIT_PER_BUCKET)),
          sq,
        });
      },
      async listAudit(tenantId, request) {
        const listing = listingOf.audit(validate.tenantId(tenantId));
        return walkBuckets(
          listing,
          request,
          () => newestBucketsFirst(listing),
          -1,
          (d) => [-Number(d['sq'])],
          (d) => entity<AuditEvent>(d),
        );
      },
      async listAuditBySubject(tenantId, subject, request) {
        const listing = listingOf.auditBySubject(
          validate.tenantId(tenantId),
          validate.auditSubject(subject),
        );
        const refs = await walkBuckets(
          listing,
          request,
          () => newestBucketsFirst(listing),
          -1,
          (d) => [-Number(d['sq'])],
          (d) => String(d['ref']),
        );
        // Read by `_id`, in parallel; an entry whose event is not stored (yet) is skipped.
        const docs = await Promise.all(refs.items.map((ref) => findDoc(ref)));
        return {
          items: docs.filter((d): d is SomeDoc => d !== null).map((d) => entity<AuditEvent>(d)),
          nextCursor: refs.nextCursor,
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
            coll().findOneAndUpdate(
              { _id: id(window) },
              { $inc: { hits: 1 }, $setOnInsert: { ty: 'rate' } },
              { upsert: true, returnDocument: 'after' },
            ),
          ),
          findDoc(id(window - 1)),
        ]);
        const current = Number(doc?.['hits'] ?? 1);
        if (current === 1) {
          // The first hit of a window removes the one two steps back: nothing reads it again.
          void call(() => coll().deleteOne({ _id: id(window - 2) })).catch(() => undefined);
        }
        return { current, previous: Number(previous?.['hits'] ?? 0) };
      },
    },

    reconciliation: {
      startRun: async (r) => insertOnce('run', validate.run(r).id, r, 'reconciliation run'),
      async finishRun(id, finishedAt, counts) {
        validate.key(id);
        validate.date(finishedAt, 'finishedAt');
        validate.runCounts(counts);
        await call(() =>
          coll().updateOne(
            { _id: `run:${id}`, status: 'running' },
            { $set: { status: 'completed', finishedAt, ...counts } },
          ),
        );
        const stored = await findById<ReconciliationRun>('run', id, 'reconciliation run');
        await markLatest(id, stored.finishedAt ?? finishedAt);
        return stored;
      },
      getRun: async (id) =>
        findById<ReconciliationRun>('run', validate.key(id), 'reconciliation run'),
      async latestRun() {
        const doc = await findDoc('meta:latest-run');
        return doc ? findById<ReconciliationRun>('run', String(doc['runId']), 'run') : null;
      },
      async observe(runId, observation, at) {
        validate.key(runId, 'runId');
        validate.observation(observation);
        validate.date(at, 'at');
        const _id = `finding:${observation.key}`;
        for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
          const doc = await findDoc(_id);
          const stored = doc ? entity<ReconciliationFinding>(doc) : undefined;
          const next = observedFinding(stored, runId, observation, at);
          if (next === stored) return next;
          if (stored === undefined) {
            const { created } = await insertOnce('finding', observation.key, next, 'finding');
            if (created) return next;
            continue; // another writer stored it first: decide again from what it stored
          }
          const { matchedCount } = await call(() =>
            coll().updateOne(
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
          coll().updateOne(
            { _id: `finding:${key}`, status: 'open', lastRunId },
            { $set: { status: 'unobserved' } },
          ),
        );
        return findById<ReconciliationFinding>('finding', key, 'finding');
      },
      getFinding: async (key) =>
        findById<ReconciliationFinding>('finding', validate.key(key), 'finding'),
      async listFindings(status, request) {
        const wanted = validate.findingStatus(status);
        return pageThrough(
          `findings:${wanted}`,
          wanted === 'open' ? { ty: 'finding', status: 'open' } : { ty: 'finding' },
          request,
          (d) => entity<ReconciliationFinding>(d),
        );
      },
    },
  };

  /**
   * Points `meta:latest-run` at the run that finished last, whatever order runs are recorded in:
   * read it, then insert, or update pinned on the instant read, again if another moved it.
   */
  async function markLatest(runId: string, at: unknown): Promise<void> {
    if (!(at instanceof Date)) return;
    const _id = 'meta:latest-run';
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt++) {
      const current = await findDoc(_id);
      if (!current) {
        try {
          await call(() => coll().insertOne({ _id, ty: 'meta', runId, finishedAt: at }));
          return;
        } catch (error) {
          if (!isDuplicate(error)) throw error;
          continue;
        }
      }
      if (dateMillis(current['finishedAt']) >= at.getTime()) return;
      const { matchedCount } = await call(() =>
        coll().updateOne(
          { _id, finishedAt: current['finishedAt'] },
          { $set: { runId, finishedAt: at } },
        ),
      );
      if (matchedCount === 1) return;
    }
    throw new UnavailableError('astra', 'too much contention on the latest reconciliation run');
  }

  /**
   * Brings the keyspace to `SCHEMA_VERSION`: creates the keyspace (a self-managed Data API can;
   * on Astra it is made in the console) and the collection, then runs each schema step above the
   * version the `meta:schema` document records, recording each once done. Every step is
   * idempotent, so concurrent or interrupted runs are safe; a keyspace a newer release migrated
   * is refused with one line rather than written in a layout it no longer reads.
   */
  async function migrate(): Promise<{ applied: boolean }> {
    const environment = config.environment;
    if (environment !== 'astra') {
      const admin = db.admin({ environment });
      await call(() => admin.createKeyspace(config.keyspace));
    }
    const existing = new Set(await call(() => db.listCollections({ nameOnly: true })));
    let applied = false;
    if (!existing.has(COLLECTION)) {
      // createCollection is idempotent for identical settings, so concurrent starts are safe.
      await call(() => db.createCollection(COLLECTION, { indexing: INDEXING }));
      applied = true;
    }
    const schema = await findDoc('meta:schema');
    let version = Number(schema?.['version'] ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new BackendRejectedError(
        'astra',
        'SCHEMA_NEWER_THAN_RELEASE',
        `keyspace ${config.keyspace} is at schema version ${version}, this release knows ${SCHEMA_VERSION}: run the newer release`,
      );
    }
    for (const step of SCHEMA_STEPS) {
      if (step.version <= version) continue;
      await step.up(existing);
      if (version === 0) {
        await call(() =>
          coll().insertOne({ _id: 'meta:schema', ty: 'meta', version: step.version }),
        ).catch((error: unknown) => {
          if (!isDuplicate(error)) throw error; // another process recorded it
        });
      } else {
        await call(() =>
          coll().updateOne({ _id: 'meta:schema', version }, { $set: { version: step.version } }),
        );
      }
      version = step.version;
      applied = true;
    }
    return { applied };
  }

  /** The ordered schema steps; each runs once per keyspace, in order, and is idempotent. */
  const SCHEMA_STEPS: readonly {
    version: number;
    name: string;
    up: (existing: ReadonlySet<string>) => Promise<void>;
  }[] = [
    {
      version: 1,
      name: 'copy the one-collection-per-entity layout into the one collection',
      up: async (existing) => {
        for (const name of LEGACY_COLLECTIONS) {
          if (!existing.has(name)) continue;
          const pending: Promise<unknown>[] = [];
          for await (const doc of coll(name).find({})) {
            pending.push(
              importLegacy(name, doc).catch((error: unknown) => {
                // A document this release cannot read stops the copy, named, with nothing lost.
                if (!(error instanceof ValidationError)) throw error;
                throw new ValidationError(
                  `cannot copy ${name}/${String(doc['_id'])}: ${error.message}`,
                  error.fields,
                );
              }),
            );
            if (pending.length >= 16) await Promise.all(pending.splice(0));
          }
          await Promise.all(pending);
        }
      },
    },
    {
      version: 2,
      name: "list every tenant's customers and subscriptions (issue #18)",
      up: async () => {
        // Both scans filter on `ty` only and page by page state; every write is idempotent (a
        // `$set` of the same value, an insert with a deterministic `_id`), so a backfill that
        // died half-way is run again.
        const pending: Promise<unknown>[] = [];
        const flush = async (force: boolean) => {
          if (force || pending.length >= 16) await Promise.all(pending.splice(0));
        };
        for await (const doc of coll().find({ ty: 'customer' })) {
          const { ls } = tenantListing(String(doc['id']), listingOf.tenantCustomers);
          if (ls === undefined || doc['ls'] === ls) continue;
          pending.push(
            call(() => coll().updateOne({ _id: doc['_id'] as string }, { $set: { ls } })),
          );
          await flush(false);
        }
        for await (const doc of coll().find({ ty: 'subscription' })) {
          const id = String(doc['id']);
          const { ls } = tenantListing(id, listingOf.tenantSubscriptions);
          if (ls === undefined) continue;
          pending.push(addEntry(ls, id, `subscription:${id}`));
          await flush(false);
        }
        await flush(true);
      },
    },
  ];

  /**
   * Writes a document of the layout before schema version 1 through the port, so that its
   * listing fields and buckets are made as for any new write; inserts are idempotent, so a copy
   * that died half-way is run again. The old collections are left for the operator to drop.
   */
  async function importLegacy(name: (typeof LEGACY_COLLECTIONS)[number], doc: SomeDoc) {
    const { _id, type, owner, ...value } = doc;
    void owner;
    const r = repository;
    switch (name) {
      case 'customers':
        return r.customers.create(value as Customer);
      case 'subscriptions':
        return r.subscriptions.save(value as SubscriptionProjection);
      case 'charges':
        return r.charges.record(value as ChargeEntry);
      case 'payments':
        return insertOnce('payment', String(value['idempotencyKey']), value, 'payment');
      case 'loyalty_accounts':
        return r.loyalty.save(value as LoyaltyAccount);
      case 'purchase_ledger':
        return r.purchases.record(value as ProcessedPurchase);
      case 'coupons':
        return r.coupons.issue(value as Coupon);
      case 'outbox':
        return r.outbox.enqueue(value as OutboxEmail);
      case 'reconciliation':
        if (type === 'run') return insertOnce('run', String(value['id']), value, 'run');
        if (type === 'finding')
          return insertOnce('finding', String(value['key']), value, 'finding');
        if (_id === 'latest') return markLatest(String(value['runId']), value['finishedAt']);
        return undefined;
      case 'access':
        if (type === 'tenant') return r.access.createTenant(value as Tenant);
        if (type === 'key') return r.access.createKey(value as ApiKeyRecord);
        if (type === 'audit') return r.access.recordAudit(value as AuditEvent);
        return undefined;
      case 'processed_purchases':
        // Rate-limit windows (short-lived) and the pre-ledger purchase markers nothing reads.
        return undefined;
    }
  }

  return { ...repository, migrate };
}

/** A stored date (astra-db-ts answers `Date`s) in milliseconds; anything else is 0. */
function dateMillis(value: unknown): number {
  return value instanceof Date ? value.getTime() : 0;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** An insert (or upsert's insert) on an `_id` that exists: the idempotent "already done" path. */
function isDuplicate(error: unknown): boolean {
  const cause = error instanceof UnavailableError ? undefined : error;
  return (
    isCode(cause, 'DOCUMENT_ALREADY_EXISTS') ||
    (cause instanceof Error && /DOCUMENT_ALREADY_EXISTS/.test(cause.message))
  );
}
