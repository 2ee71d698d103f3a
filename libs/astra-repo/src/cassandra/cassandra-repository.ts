import { createHash } from 'node:crypto';
import { types, type Client } from 'cassandra-driver';
import { z } from 'zod';
import type { CassandraRepositoryConfig } from '../config';
import {
  ConflictError,
  InvalidCursorError,
  NotFoundError,
  RepositoryError,
  UnavailableError,
} from '../errors';
import type {
  ApiKeyRecord,
  ApiKeyRole,
  AuditEvent,
  ChargeEntry,
  ChargeOutcome,
  Coupon,
  CouponStatus,
  Customer,
  EmailStatus,
  IntervalUnit,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  ProcessedPurchase,
  PurchaseSource,
  ReconciliationFinding,
  ReconciliationRun,
  SubscriptionProjection,
  SubscriptionStatus,
  Tenant,
} from '../model/entities';
import { applyPoints, chargeKey, emptyAccount, checkClaim, observedFinding } from '../model/rules';
import { tenantOf } from '../model/tenancy';
import { validate } from '../model/validation';
import { decodeCursor, encodeCursor } from '../ports/cursor';
import type { Page, PageRequest, Stored } from '../ports/paging';
import type { Repository } from '../ports/repository';
import { createCassandraClient } from './client';
import { applyOutboxRetention, migrateCassandra } from './schema';
import { translateDriverError as translate } from './translate-driver-error';
import {
  accountValues,
  insertValues,
  LOYALTY_ACCOUNTS,
  SUBSCRIPTIONS,
  subscriptionValues,
  versionedStatements,
  versionedUpdate,
  type VersionedTable,
} from './versioned';

type Row = types.Row;
const { consistencies } = types;

const long = (n: number) => types.Long.fromNumber(n);
function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return value instanceof types.Long ? value.toNumber() : Number(value);
}
const str = (value: unknown): string => value as string;
const strOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : (value as string);
const date = (value: unknown): Date => value as Date;
const dateOrNull = (value: unknown): Date | null =>
  value === null || value === undefined ? null : (value as Date);

const toCustomer = (r: Row): Customer => ({
  id: str(r['id']),
  email: str(r['email']),
  name: str(r['name']),
  createdAt: date(r['created_at']),
});

const toSubscription = (r: Row): SubscriptionProjection => ({
  id: str(r['id']),
  customerId: str(r['customer_id']),
  status: str(r['status']) as SubscriptionStatus,
  price: { amountMinor: num(r['price_minor']), currency: str(r['currency']) },
  interval: { unit: str(r['interval_unit']) as IntervalUnit, count: num(r['interval_count']) },
  anchorAt: date(r['anchor_at']),
  timeZone: str(r['time_zone']),
  nextChargeAt: dateOrNull(r['next_charge_at']),
  periodsBilled: num(r['periods_billed']),
  canceledAt: dateOrNull(r['canceled_at']),
  cancelEffectiveAt: dateOrNull(r['cancel_effective_at']),
  cancelReason: strOrNull(r['cancel_reason']),
  pausedAt: dateOrNull(r['paused_at']),
  version: num(r['version']),
  updatedAt: date(r['updated_at']),
});

const toCharge = (r: Row): ChargeEntry => ({
  subscriptionId: str(r['subscription_id']),
  period: num(r['period']),
  attempt: num(r['attempt']),
  customerId: str(r['customer_id']),
  amount: { amountMinor: num(r['amount_minor']), currency: str(r['currency']) },
  outcome: str(r['outcome']) as ChargeOutcome,
  providerRef: strOrNull(r['provider_ref']),
  failureCode: strOrNull(r['failure_code']),
  occurredAt: date(r['occurred_at']),
});

const toPayment = (r: Row): PaymentRecord => ({
  idempotencyKey: str(r['idempotency_key']),
  customerId: str(r['customer_id']),
  amount: { amountMinor: num(r['amount_minor']), currency: str(r['currency']) },
  paymentMethod: str(r['payment_method']),
  status: str(r['status']) as PaymentRecord['status'],
  providerRef: str(r['provider_ref']),
  declineCode: strOrNull(r['decline_code']),
  createdAt: date(r['created_at']),
});

const toAccount = (r: Row): LoyaltyAccount => ({
  customerId: str(r['customer_id']),
  balance: num(r['balance']),
  lifetimePoints: num(r['lifetime_points']),
  couponsIssued: num(r['coupons_issued']),
  couponsRedeemed: num(r['coupons_redeemed']),
  version: num(r['version']),
  updatedAt: date(r['updated_at']),
});

const toPurchase = (r: Row): ProcessedPurchase => ({
  customerId: str(r['customer_id']),
  source: str(r['source']) as PurchaseSource,
  purchaseId: str(r['purchase_id']),
  total: { amountMinor: num(r['total_minor']), currency: str(r['currency']) },
  points: num(r['points']),
  processedAt: date(r['processed_at']),
  countedBy: str(r['counted_by']),
  requestId: strOrNull(r['request_id']),
  balanceAfter: num(r['balance_after']),
  couponsIssued: (r['coupons_issued'] as string[] | null) ?? [],
});

const toCoupon = (r: Row): Coupon => ({
  id: str(r['id']),
  customerId: str(r['customer_id']),
  value: { amountMinor: num(r['value_minor']), currency: str(r['currency']) },
  status: str(r['status']) as CouponStatus,
  issuedAt: date(r['issued_at']),
  redeemedAt: dateOrNull(r['redeemed_at']),
  redeemedBy: strOrNull(r['redeemed_by']),
});

const toEmail = (r: Row): OutboxEmail => ({
  id: str(r['id']),
  customerId: str(r['customer_id']),
  to: str(r['recipient']),
  template: str(r['template']),
  subject: str(r['subject']),
  body: str(r['body']),
  status: str(r['status']) as EmailStatus,
  createdAt: date(r['created_at']),
  sentAt: dateOrNull(r['sent_at']),
  ...(r['failure'] ? { failure: str(r['failure']) } : {}),
});

const countsOf = (value: unknown): Record<string, number> =>
  Object.fromEntries(
    Object.entries((value as Record<string, unknown> | null) ?? {}).map(([k, v]) => [k, num(v)]),
  );
const longs = (counts: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, long(v)]));

const toRun = (r: Row): ReconciliationRun => ({
  id: str(r['id']),
  status: str(r['status']) as ReconciliationRun['status'],
  startedAt: date(r['started_at']),
  finishedAt: dateOrNull(r['finished_at']),
  findings: countsOf(r['findings']),
  checked: countsOf(r['checked']),
});

const toFinding = (r: Row): ReconciliationFinding => ({
  key: str(r['finding_key']),
  kind: str(r['kind']),
  subjectId: str(r['subject_id']),
  customerId: strOrNull(r['customer_id']),
  expected: str(r['expected']),
  actual: str(r['actual']),
  status: str(r['status']) as ReconciliationFinding['status'],
  firstSeenAt: date(r['first_seen_at']),
  lastSeenAt: date(r['last_seen_at']),
  firstRunId: str(r['first_run_id']),
  lastRunId: str(r['last_run_id']),
});

const toTenant = (r: Row): Tenant => ({
  id: str(r['id']),
  name: str(r['name']),
  test: r['test'] === true,
  maxActiveSubscriptions: num(r['max_active_subscriptions']),
  maxLoyaltyPrograms: num(r['max_loyalty_programs']),
  createdAt: date(r['created_at']),
});

const toApiKey = (r: Row): ApiKeyRecord => ({
  id: str(r['id']),
  tenantId: strOrNull(r['tenant_id']),
  name: str(r['name']),
  role: str(r['role']) as ApiKeyRole,
  permissions: (r['permissions'] as string[] | null) ?? [],
  secretHash: str(r['secret_hash']),
  createdAt: date(r['created_at']),
  expiresAt: dateOrNull(r['expires_at']),
  revokedAt: dateOrNull(r['revoked_at']),
});

const toAuditEvent = (r: Row): AuditEvent => ({
  tenantId: str(r['tenant_id']),
  id: str(r['id']),
  at: date(r['at']),
  actor: str(r['actor']),
  action: str(r['action']),
  resource: str(r['resource']),
  requestId: str(r['request_id']),
  status: num(r['status']),
  // Only when set: an event recorded without a subject reads back as it was recorded.
  ...(r['subject'] != null ? { subject: str(r['subject']) } : {}),
});

/** The partition of `api_keys_by_tenant` that lists a tenant's keys, or the admin keys. */
const keyOwner = (tenantId: string | null) => tenantId ?? '*admin';

const pageStateCursor = z.strictObject({ s: z.string().regex(/^[0-9a-f]{1,2000}$/) });

/** Bounded optimistic retries of a compare-and-set loop under contention. */
const CAS_ATTEMPTS = 64;

/**
 * The repository over CQL: prepared statements, LOCAL_QUORUM, and lightweight transactions
 * (LOCAL_SERIAL) wherever idempotency or an exact count depends on it. A failed `IF NOT EXISTS`
 * returns the stored row, so the idempotent path costs no extra read.
 */
export function createCassandraRepository(
  config: CassandraRepositoryConfig,
  client: Client = createCassandraClient(config),
): Repository & {
  migrate(): Promise<{ applied: boolean }>;
} {
  const ks = config.keyspace;
  const q = (cql: string) => cql.replaceAll('{ks}', ks);

  async function exec(
    cql: string,
    params: unknown[] = [],
    options: { serialRead?: boolean; fetchSize?: number; pageState?: string } = {},
  ) {
    try {
      return await client.execute(q(cql), params, {
        prepare: true,
        ...(options.serialRead ? { consistency: consistencies.localSerial } : {}),
        ...(options.fetchSize ? { fetchSize: options.fetchSize } : {}),
        ...(options.pageState ? { pageState: options.pageState } : {}),
      });
    } catch (error) {
      throw translate(error);
    }
  }

  async function one<T>(
    cql: string,
    params: unknown[],
    map: (r: Row) => T,
    entity: string,
    id: string,
    serial = false,
  ): Promise<T> {
    const row = (await exec(cql, params, { serialRead: serial })).first();
    if (!row) throw new NotFoundError(entity, id);
    return map(row);
  }

  /** The row `cql` selects, or null: a listing's index row whose main row is not there (yet). */
  async function optional<T>(
    cql: string,
    params: unknown[],
    map: (r: Row) => T,
  ): Promise<T | null> {
    const row = (await exec(cql, params)).first();
    return row ? map(row) : null;
  }

  /**
   * A listing's page without the index rows whose main row is missing: a listing writes its
   * index row first (so an entity is never stored unlisted), and a reader between the two writes
   * — or after a writer died between them — skips it instead of answering 404. The page may then
   * hold fewer items than its limit; its cursor still goes on.
   */
  const present = <T>(page: Page<T | null>): Page<T> => ({
    items: page.items.filter((item): item is T => item !== null),
    nextCursor: page.nextCursor,
  });

  /**
   * INSERT … IF NOT EXISTS; on a conflict the LWT result row *is* the stored record. Absent values
   * are bound `unset` (no tombstone: the row it applies to did not exist).
   */
  async function insertOnce<T>(
    cql: string,
    params: unknown[],
    value: T,
    map: (r: Row) => T,
  ): Promise<Stored<T>> {
    const result = await exec(cql, insertValues(params));
    if (result.wasApplied()) return { record: value, created: true };
    const existing = result.first();
    return { record: map(existing), created: false };
  }

  async function page<T>(
    cql: string,
    params: unknown[],
    request: PageRequest | undefined,
    map: (r: Row) => T | Promise<T>,
  ): Promise<Page<T>> {
    const limit = validate.pageLimit(request?.limit);
    // A page state is only meaningful to the query (and partition) that made it: the cursor is
    // bound to a digest of both, so another listing's cursor is refused before Cassandra sees it.
    const listing = createHash('sha256')
      .update(`${cql}\n${JSON.stringify(params)}`)
      .digest('base64url')
      .slice(0, 22);
    const state = decodeCursor(request?.cursor, pageStateCursor, listing)?.s;
    const result = await exec(cql, params, {
      fetchSize: limit,
      ...(state ? { pageState: state } : {}),
    }).catch(async (error: unknown) => {
      // The cursor's hex is the driver's paging state, which only Cassandra can check, and it
      // answers bytes it cannot read (crafted, or another query's) with a protocol or even a
      // server error. The same query without the state tells whose fault it was: if that one
      // succeeds, the cursor is the caller's mistake (a 400), not a failure of the server.
      if (!state || error instanceof RepositoryError) throw error;
      await exec(cql, params, { fetchSize: 1 }).catch(() => {
        throw error;
      });
      throw new InvalidCursorError('not a cursor of this listing');
    });
    const items = await Promise.all(result.rows.map(map));
    return {
      items,
      nextCursor: result.pageState ? encodeCursor(listing, { s: result.pageState }) : null,
    };
  }

  /**
   * Versioned upsert: store `value` unless the stored version is the same or newer, and return
   * what is stored then. One writer per key (the workflow) saves each version over the one before,
   * so the conditional UPDATE goes first: that common save is one Paxos round (it was two, a
   * failing `INSERT … IF NOT EXISTS` and then the UPDATE). A version-0 save (a workflow's first
   * state) tries the INSERT first instead. Either statement, failing, says which one to try next:
   * an UPDATE on no row returns no version (→ INSERT); an INSERT on a row returns that row (newer
   * or equal → it is the answer; older → UPDATE). A stale save costs one more, serial, read.
   * Absent values write no tombstone (`versionedUpdate`). The statements derive from the columns.
   */
  async function saveVersioned<T extends { version: number }>(
    table: VersionedTable,
    key: string,
    value: T,
    columnValues: readonly unknown[],
    map: (r: Row) => T,
    entity: string,
  ): Promise<T> {
    const cql = versionedStatements(table);
    const version = long(value.version);
    // Absent columns found set in the stored row: this save binds them null, which clears them.
    const clear = new Set<string>();
    const noteSet = (row: Row, columns: readonly string[]) => {
      for (const c of columns) if (row[c] !== null && row[c] !== undefined) clear.add(c);
    };
    const absentColumns = table.columns.filter(
      (_, i) => columnValues[i] === null || columnValues[i] === undefined,
    );
    let insertNext = value.version === 0;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (insertNext) {
        const inserted = await exec(cql.insert, [...insertValues(columnValues), key]);
        if (inserted.wasApplied()) return value;
        const stored = inserted.first();
        if (num(stored['version']) >= value.version) return map(stored);
        noteSet(stored, absentColumns);
      }
      const update = versionedUpdate(table, columnValues, clear);
      const updated = await exec(update.cql, [...update.values, key, version]);
      if (updated.wasApplied()) return value;
      const current = updated.first();
      const stored: unknown = current?.['version'];
      // No row (the condition read none): insert it. Newer or equal: that is the answer.
      insertNext = stored === null || stored === undefined;
      if (insertNext) continue;
      if (num(stored) >= value.version) return one(cql.select, [key], map, entity, key, true);
      // Older, but a column this save leaves absent holds a value there: clear it and retry.
      noteSet(current, update.unsetColumns);
    }
    throw new UnavailableError('cassandra', `too much contention on ${entity} ${key}`);
  }

  return {
    backend: 'cassandra',
    async migrate() {
      try {
        const result = await migrateCassandra(client, config);
        await applyOutboxRetention(client, config);
        return result;
      } catch (error) {
        throw translate(error);
      }
    },
    async ping() {
      await exec('SELECT release_version FROM system.local');
    },
    close: async () => client.shutdown(),

    customers: {
      create: async (c) => {
        validate.customer(c);
        // The listing row first (as every listing here): harmless alone, as a reader skips it.
        const tenant = tenantOf(c.id);
        if (tenant !== null)
          await exec(
            'INSERT INTO {ks}.customers_by_tenant (tenant_id, customer_id) VALUES (?, ?)',
            [tenant, c.id],
          );
        return insertOnce(
          'INSERT INTO {ks}.customers (id, email, name, created_at) VALUES (?, ?, ?, ?) IF NOT EXISTS',
          [c.id, c.email, c.name, c.createdAt],
          c,
          toCustomer,
        );
      },
      get: async (id) =>
        one(
          'SELECT * FROM {ks}.customers WHERE id = ?',
          [validate.id(id)],
          toCustomer,
          'customer',
          id,
        ),
      async listByTenant(tenantId, request) {
        return page(
          'SELECT customer_id FROM {ks}.customers_by_tenant WHERE tenant_id = ?',
          [validate.tenantId(tenantId)],
          request,
          (r) =>
            optional('SELECT * FROM {ks}.customers WHERE id = ?', [r['customer_id']], toCustomer),
        ).then(present);
      },
    },

    subscriptions: {
      async save(s) {
        validate.subscription(s);
        const tenant = tenantOf(s.id);
        // The listing rows first; both are plain upserts of the same key on every save.
        await Promise.all([
          exec(
            'INSERT INTO {ks}.subscriptions_by_customer (customer_id, subscription_id) VALUES (?, ?)',
            [s.customerId, s.id],
          ),
          tenant === null
            ? undefined
            : exec(
                'INSERT INTO {ks}.subscriptions_by_tenant (tenant_id, subscription_id) VALUES (?, ?)',
                [tenant, s.id],
              ),
        ]);
        return saveVersioned(
          SUBSCRIPTIONS,
          s.id,
          s,
          subscriptionValues(s),
          toSubscription,
          'subscription',
        );
      },
      get: async (id) =>
        one(
          'SELECT * FROM {ks}.subscriptions WHERE id = ?',
          [validate.id(id)],
          toSubscription,
          'subscription',
          id,
        ),
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        return page(
          'SELECT subscription_id FROM {ks}.subscriptions_by_customer WHERE customer_id = ?',
          [customerId],
          request,
          (r) =>
            optional(
              'SELECT * FROM {ks}.subscriptions WHERE id = ?',
              [r['subscription_id']],
              toSubscription,
            ),
        ).then(present);
      },
      async listByTenant(tenantId, request) {
        return page(
          'SELECT subscription_id FROM {ks}.subscriptions_by_tenant WHERE tenant_id = ?',
          [validate.tenantId(tenantId)],
          request,
          (r) =>
            optional(
              'SELECT * FROM {ks}.subscriptions WHERE id = ?',
              [r['subscription_id']],
              toSubscription,
            ),
        ).then(present);
      },
      scan: async (request) =>
        page('SELECT * FROM {ks}.subscriptions', [], request, toSubscription),
    },

    charges: {
      async record(e) {
        validate.charge(e);
        return insertOnce(
          `INSERT INTO {ks}.charges (subscription_id, period, attempt, customer_id, amount_minor, currency, outcome, provider_ref,
             failure_code, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            e.subscriptionId,
            e.period,
            e.attempt,
            e.customerId,
            long(e.amount.amountMinor),
            e.amount.currency,
            e.outcome,
            e.providerRef,
            e.failureCode,
            e.occurredAt,
          ],
          e,
          toCharge,
        );
      },
      async get(subscriptionId, period, attempt) {
        const key = {
          subscriptionId: validate.id(subscriptionId),
          period: validate.positive(period, 'period'),
          attempt: validate.positive(attempt, 'attempt'),
        };
        return one(
          'SELECT * FROM {ks}.charges WHERE subscription_id = ? AND period = ? AND attempt = ?',
          [key.subscriptionId, key.period, key.attempt],
          toCharge,
          'charge',
          chargeKey(key),
        );
      },
      async listBySubscription(subscriptionId, request) {
        return page(
          'SELECT * FROM {ks}.charges WHERE subscription_id = ?',
          [validate.id(subscriptionId, 'subscriptionId')],
          request,
          toCharge,
        );
      },
    },

    payments: {
      async claim(p) {
        validate.payment(p);
        const stored = await insertOnce(
          `INSERT INTO {ks}.payments (idempotency_key, customer_id, amount_minor, currency, payment_method, status, provider_ref,
             decline_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            p.idempotencyKey,
            p.customerId,
            long(p.amount.amountMinor),
            p.amount.currency,
            p.paymentMethod,
            p.status,
            p.providerRef,
            p.declineCode,
            p.createdAt,
          ],
          p,
          toPayment,
        );
        return checkClaim(stored, p);
      },
      get: async (key) =>
        one(
          'SELECT * FROM {ks}.payments WHERE idempotency_key = ?',
          [validate.key(key)],
          toPayment,
          'payment',
          key,
        ),
      scan: async (request) => page('SELECT * FROM {ks}.payments', [], request, toPayment),
    },

    loyalty: {
      async save(a) {
        validate.loyaltyAccount(a);
        return saveVersioned(
          LOYALTY_ACCOUNTS,
          a.customerId,
          a,
          accountValues(a),
          toAccount,
          'loyalty account',
        );
      },
      get: async (customerId) =>
        one(
          'SELECT * FROM {ks}.loyalty_accounts WHERE customer_id = ?',
          [validate.id(customerId)],
          toAccount,
          'loyalty account',
          customerId,
        ),
      async addPoints(customerId, points, at) {
        validate.id(customerId, 'customerId');
        validate.points(points);
        validate.date(at, 'at');
        // Compare-and-set on the version: read, write IF version = what was read. The read is a
        // plain LOCAL_QUORUM one: the condition is what makes the count exact, and a read that
        // missed a concurrent write only fails its CAS and goes round again. (A serial read was a
        // second Paxos round per increment, whose ballots competed with the writers'.)
        const backoff = (attempt: number) =>
          new Promise((resolve) =>
            setTimeout(resolve, Math.random() * Math.min(100, 5 * 2 ** Math.min(attempt, 5))),
          );
        for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
          let read;
          try {
            read = await exec('SELECT * FROM {ks}.loyalty_accounts WHERE customer_id = ?', [
              customerId,
            ]);
          } catch (error) {
            // A read that timed out under contention wrote nothing: try again. (A timed-out
            // conditional write below is not retried here: it may have been applied.)
            if (!(error instanceof UnavailableError)) throw error;
            await backoff(attempt);
            continue;
          }
          const row = read.first();
          const current = row ? toAccount(row) : emptyAccount(customerId, at);
          const next = applyPoints(current, points, at);
          const cql = versionedStatements(LOYALTY_ACCOUNTS);
          const write = row
            ? await exec(cql.update('='), [
                ...accountValues(next),
                customerId,
                long(current.version),
              ])
            : await exec(cql.insert, [...insertValues(accountValues(next)), customerId]);
          if (write.wasApplied()) return next;
          await backoff(attempt);
        }
        throw new UnavailableError(
          'cassandra',
          `too much contention on the loyalty account of ${customerId}`,
        );
      },
      scan: async (request) => page('SELECT * FROM {ks}.loyalty_accounts', [], request, toAccount),
    },

    purchases: {
      async record(p) {
        validate.purchase(p);
        return insertOnce(
          `INSERT INTO {ks}.purchase_ledger (customer_id, source, purchase_id, total_minor, currency, points,
             processed_at, counted_by, request_id, balance_after, coupons_issued)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            p.customerId,
            p.source,
            p.purchaseId,
            long(p.total.amountMinor),
            p.total.currency,
            long(p.points),
            p.processedAt,
            p.countedBy,
            p.requestId,
            long(p.balanceAfter),
            [...p.couponsIssued],
          ],
          p,
          toPurchase,
        );
      },
      async get(customerId, key) {
        validate.id(customerId, 'customerId');
        validate.purchaseKey(key);
        return one(
          'SELECT * FROM {ks}.purchase_ledger WHERE customer_id = ? AND source = ? AND purchase_id = ?',
          [customerId, key.source, key.purchaseId],
          toPurchase,
          'purchase',
          `${customerId}/${key.source}/${key.purchaseId}`,
        );
      },
      async find(customerId, keys) {
        validate.id(customerId, 'customerId');
        const bySource = new Map<string, string[]>();
        for (const key of validate.purchaseKeys(keys)) {
          bySource.set(key.source, [...(bySource.get(key.source) ?? []), key.purchaseId]);
        }
        // One partition, at most one query per source: the rows of a batch in one round trip each.
        const results = await Promise.all(
          [...bySource].map(([source, ids]) =>
            exec(
              'SELECT * FROM {ks}.purchase_ledger WHERE customer_id = ? AND source = ? AND purchase_id IN ?',
              [customerId, source, ids],
              { serialRead: true },
            ),
          ),
        );
        return results.flatMap((result) => result.rows.map(toPurchase));
      },
      async totals(customerId) {
        validate.id(customerId, 'customerId');
        const row = (
          await exec(
            'SELECT count(*) AS n, sum(points) AS p FROM {ks}.purchase_ledger WHERE customer_id = ?',
            [customerId],
            { serialRead: true },
          )
        ).first();
        return { purchases: num(row?.['n']), points: num(row?.['p']) };
      },
      async listByCustomer(customerId, request) {
        // One partition, in its clustering order (source, purchase_id).
        return page(
          'SELECT * FROM {ks}.purchase_ledger WHERE customer_id = ?',
          [validate.id(customerId, 'customerId')],
          request,
          toPurchase,
        );
      },
    },

    coupons: {
      async issue(c) {
        validate.coupon(c);
        await exec('INSERT INTO {ks}.coupons_by_customer (customer_id, coupon_id) VALUES (?, ?)', [
          c.customerId,
          c.id,
        ]);
        return insertOnce(
          `INSERT INTO {ks}.coupons (id, customer_id, value_minor, currency, status, issued_at, redeemed_at, redeemed_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            c.id,
            c.customerId,
            long(c.value.amountMinor),
            c.value.currency,
            c.status,
            c.issuedAt,
            c.redeemedAt,
            c.redeemedBy,
          ],
          c,
          toCoupon,
        );
      },
      get: async (id) =>
        one('SELECT * FROM {ks}.coupons WHERE id = ?', [validate.key(id)], toCoupon, 'coupon', id),
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        return page(
          'SELECT coupon_id FROM {ks}.coupons_by_customer WHERE customer_id = ?',
          [customerId],
          request,
          (r) => optional('SELECT * FROM {ks}.coupons WHERE id = ?', [r['coupon_id']], toCoupon),
        ).then(present);
      },
      async redeem(id, customerId, at, requestId) {
        validate.key(id);
        validate.id(customerId, 'customerId');
        validate.date(at, 'at');
        validate.requestId(requestId);
        const result = await exec(
          "UPDATE {ks}.coupons SET status = 'redeemed', redeemed_at = ?, redeemed_by = ? WHERE id = ? IF status = 'issued' AND customer_id = ?",
          [at, requestId, id, customerId],
        );
        const read = () =>
          one('SELECT * FROM {ks}.coupons WHERE id = ?', [id], toCoupon, 'coupon', id, true);
        if (result.wasApplied()) return read();
        const current = result.first();
        // No row, or another customer's coupon: not found (existence is not disclosed).
        if (!current || current['status'] === null || current['customer_id'] !== customerId)
          throw new NotFoundError('coupon', id);
        // Redeemed by this very request (its answer was lost): the redemption stands.
        const stored = await read();
        if (stored.redeemedBy === requestId) return stored;
        throw new ConflictError('coupon', id, 'already redeemed');
      },
      async countByCustomer(customerId) {
        validate.id(customerId, 'customerId');
        const row = (
          await exec(
            'SELECT count(*) AS n FROM {ks}.coupons_by_customer WHERE customer_id = ?',
            [customerId],
            { serialRead: true },
          )
        ).first();
        return num(row?.['n']);
      },
    },

    outbox: {
      async enqueue(e) {
        validate.email(e);
        const stored = await insertOnce(
          `INSERT INTO {ks}.outbox (id, customer_id, recipient, template, subject, body, status, created_at, sent_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            e.id,
            e.customerId,
            e.to,
            e.template,
            e.subject,
            e.body,
            e.status,
            e.createdAt,
            e.sentAt,
          ],
          e,
          toEmail,
        );
        // The index row carries the *stored* createdAt, after the insert: a retry (with a later
        // createdAt) then rewrites the same row instead of indexing the email twice.
        await exec(
          'INSERT INTO {ks}.outbox_by_customer (customer_id, created_at, id) VALUES (?, ?, ?)',
          [e.customerId, stored.record.createdAt, e.id],
        );
        // The delivery loop's index of pending emails; a retry after delivery sees `sent` and
        // does not index it again.
        if (stored.record.status === 'pending')
          await exec('INSERT INTO {ks}.outbox_pending (shard, id) VALUES (0, ?)', [e.id]);
        return stored;
      },
      get: async (id) =>
        one('SELECT * FROM {ks}.outbox WHERE id = ?', [validate.key(id)], toEmail, 'email', id),
      async markSent(id, at) {
        validate.key(id);
        validate.date(at, 'at');
        await exec(
          "UPDATE {ks}.outbox SET status = 'sent', sent_at = ? WHERE id = ? IF status = 'pending'",
          [at, id],
        );
        await exec('DELETE FROM {ks}.outbox_pending WHERE shard = 0 AND id = ?', [id]);
        return one('SELECT * FROM {ks}.outbox WHERE id = ?', [id], toEmail, 'email', id, true);
      },
      async markFailed(id, failure) {
        validate.key(id);
        validate.failure(failure);
        await exec(
          "UPDATE {ks}.outbox SET status = 'failed', failure = ? WHERE id = ? IF status = 'pending'",
          [failure, id],
        );
        await exec('DELETE FROM {ks}.outbox_pending WHERE shard = 0 AND id = ?', [id]);
        return one('SELECT * FROM {ks}.outbox WHERE id = ?', [id], toEmail, 'email', id, true);
      },
      async listPending(limit) {
        const rows = await exec('SELECT id FROM {ks}.outbox_pending WHERE shard = 0 LIMIT ?', [
          validate.pendingLimit(limit),
        ]);
        const pending: OutboxEmail[] = [];
        for (const r of rows.rows) {
          const email = await one(
            'SELECT * FROM {ks}.outbox WHERE id = ?',
            [r['id']],
            toEmail,
            'email',
            str(r['id']),
          ).catch(() => null);
          if (email?.status === 'pending') pending.push(email);
          // A stale index row (sent or failed by a call that died before its delete): drop it.
          else await exec('DELETE FROM {ks}.outbox_pending WHERE shard = 0 AND id = ?', [r['id']]);
        }
        return pending;
      },
      async listByCustomer(customerId, request) {
        validate.id(customerId, 'customerId');
        return page(
          'SELECT id FROM {ks}.outbox_by_customer WHERE customer_id = ?',
          [customerId],
          request,
          (r) => optional('SELECT * FROM {ks}.outbox WHERE id = ?', [r['id']], toEmail),
        ).then(present);
      },
    },

    rateLimits: {
      async hit(bucketName, windowNumber) {
        const { bucket, window } = validate.rateLimitHit(bucketName, windowNumber);
        const select = 'SELECT hits FROM {ks}.rate_limits WHERE bucket = ? AND window_no = ?';
        // The closed window's count is read beside the increment; the open one's after it, so
        // it includes this hit (and perhaps concurrent ones: never fewer, only stricter).
        const [, previous] = await Promise.all([
          exec('UPDATE {ks}.rate_limits SET hits = hits + 1 WHERE bucket = ? AND window_no = ?', [
            bucket,
            long(window),
          ]),
          exec(select, [bucket, long(window - 1)]),
        ]);
        const current = num((await exec(select, [bucket, long(window)])).first()?.['hits']);
        if (current === 1) {
          // The first hit of a window removes the one two steps back: nothing reads it again.
          void exec('DELETE FROM {ks}.rate_limits WHERE bucket = ? AND window_no = ?', [
            bucket,
            long(window - 2),
          ]).catch(() => undefined);
        }
        return { current: Math.max(current, 1), previous: num(previous.first()?.['hits']) };
      },
    },
    reconciliation: {
      async startRun(r) {
        validate.run(r);
        return insertOnce(
          `INSERT INTO {ks}.reconciliation_runs (id, status, started_at, finished_at, findings, checked)
             VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [r.id, r.status, r.startedAt, r.finishedAt, longs(r.findings), longs(r.checked)],
          r,
          toRun,
        );
      },
      async finishRun(id, finishedAt, counts) {
        validate.key(id);
        validate.date(finishedAt, 'finishedAt');
        validate.runCounts(counts);
        await exec(
          `UPDATE {ks}.reconciliation_runs SET status = 'completed', finished_at = ?, findings = ?, checked = ?
             WHERE id = ? IF status = 'running'`,
          [finishedAt, longs(counts.findings), longs(counts.checked), id],
        );
        const stored = await one(
          'SELECT * FROM {ks}.reconciliation_runs WHERE id = ?',
          [id],
          toRun,
          'reconciliation run',
          id,
          true,
        );
        // Written at the run's own finish instant: of any order of writes (a retry's included),
        // the run that finished last is the latest.
        const micros = (stored.finishedAt ?? finishedAt).getTime() * 1000;
        await exec(
          `INSERT INTO {ks}.reconciliation_latest (scope, run_id, finished_at) VALUES ('all', ?, ?) USING TIMESTAMP ${micros}`,
          [id, stored.finishedAt],
        );
        return stored;
      },
      getRun: async (id) =>
        one(
          'SELECT * FROM {ks}.reconciliation_runs WHERE id = ?',
          [validate.key(id)],
          toRun,
          'reconciliation run',
          id,
        ),
      async latestRun() {
        const row = (
          await exec("SELECT run_id FROM {ks}.reconciliation_latest WHERE scope = 'all'")
        ).first();
        if (!row) return null;
        const id = str(row['run_id']);
        return one(
          'SELECT * FROM {ks}.reconciliation_runs WHERE id = ?',
          [id],
          toRun,
          'reconciliation run',
          id,
        );
      },
      async observe(runId, observation, at) {
        validate.key(runId, 'runId');
        validate.observation(observation);
        validate.date(at, 'at');
        // The index first: a crash before the row leaves an index entry a retry completes.
        await exec('INSERT INTO {ks}.reconciliation_open (shard, finding_key) VALUES (0, ?)', [
          observation.key,
        ]);
        for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
          const row = (
            await exec(
              'SELECT * FROM {ks}.reconciliation_findings WHERE finding_key = ?',
              [observation.key],
              { serialRead: true },
            )
          ).first();
          const stored = row ? toFinding(row) : undefined;
          const next = observedFinding(stored, runId, observation, at);
          if (next === stored) return next;
          const write = stored
            ? await exec(
                `UPDATE {ks}.reconciliation_findings SET expected = ?, actual = ?, status = ?, last_seen_at = ?,
                   last_run_id = ? WHERE finding_key = ? IF last_run_id = ?`,
                [
                  next.expected,
                  next.actual,
                  next.status,
                  next.lastSeenAt,
                  next.lastRunId,
                  next.key,
                  stored.lastRunId,
                ],
              )
            : await exec(
                `INSERT INTO {ks}.reconciliation_findings (finding_key, kind, subject_id, customer_id, expected,
                   actual, status, first_seen_at, last_seen_at, first_run_id, last_run_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
                insertValues([
                  next.key,
                  next.kind,
                  next.subjectId,
                  next.customerId,
                  next.expected,
                  next.actual,
                  next.status,
                  next.firstSeenAt,
                  next.lastSeenAt,
                  next.firstRunId,
                  next.lastRunId,
                ]),
              );
          if (write.wasApplied()) return next;
        }
        throw new UnavailableError(
          'cassandra',
          `too much contention on finding ${observation.key}`,
        );
      },
      async markUnobserved(key, lastRunId) {
        validate.key(key);
        validate.key(lastRunId, 'lastRunId');
        await exec(
          `UPDATE {ks}.reconciliation_findings SET status = 'unobserved' WHERE finding_key = ?
             IF status = 'open' AND last_run_id = ?`,
          [key, lastRunId],
        );
        const stored = await one(
          'SELECT * FROM {ks}.reconciliation_findings WHERE finding_key = ?',
          [key],
          toFinding,
          'finding',
          key,
          true,
        );
        if (stored.status !== 'open') {
          await exec('DELETE FROM {ks}.reconciliation_open WHERE shard = 0 AND finding_key = ?', [
            key,
          ]);
        }
        return stored;
      },
      getFinding: async (key) =>
        one(
          'SELECT * FROM {ks}.reconciliation_findings WHERE finding_key = ?',
          [validate.key(key)],
          toFinding,
          'finding',
          key,
        ),
      async listFindings(status, request) {
        if (validate.findingStatus(status) === 'all') {
          return page('SELECT * FROM {ks}.reconciliation_findings', [], request, toFinding);
        }
        // The index may hold a key whose row is no longer open (a sweep that died before its
        // delete): such rows are left out, so a page may hold fewer items than its limit.
        const listed = await page(
          'SELECT finding_key FROM {ks}.reconciliation_open WHERE shard = 0',
          [],
          request,
          async (r) => {
            const row = (
              await exec('SELECT * FROM {ks}.reconciliation_findings WHERE finding_key = ?', [
                r['finding_key'],
              ])
            ).first();
            return row ? toFinding(row) : null;
          },
        );
        return {
          items: listed.items.filter(
            (f): f is ReconciliationFinding => f !== null && f.status === 'open',
          ),
          nextCursor: listed.nextCursor,
        };
      },
    },
    access: {
      createTenant: async (t) => {
        validate.tenant(t);
        return insertOnce(
          `INSERT INTO {ks}.tenants (id, name, test, max_active_subscriptions, max_loyalty_programs,
             created_at) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [t.id, t.name, t.test, t.maxActiveSubscriptions, t.maxLoyaltyPrograms, t.createdAt],
          t,
          toTenant,
        );
      },
      getTenant: async (id) =>
        one(
          'SELECT * FROM {ks}.tenants WHERE id = ?',
          [validate.tenantId(id)],
          toTenant,
          'tenant',
          id,
        ),
      async createKey(k) {
        validate.apiKey(k);
        // The listing row first: it is harmless alone (listKeys skips ids without a key row),
        // while a key row without it would be a key its tenant cannot see.
        await exec('INSERT INTO {ks}.api_keys_by_tenant (owner, created_at, id) VALUES (?, ?, ?)', [
          keyOwner(k.tenantId),
          k.createdAt,
          k.id,
        ]);
        return insertOnce(
          `INSERT INTO {ks}.api_keys (id, tenant_id, name, role, permissions, secret_hash,
             created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [
            k.id,
            k.tenantId,
            k.name,
            k.role,
            [...k.permissions],
            k.secretHash,
            k.createdAt,
            k.expiresAt,
            k.revokedAt,
          ],
          k,
          toApiKey,
        );
      },
      getKey: async (id) =>
        one(
          'SELECT * FROM {ks}.api_keys WHERE id = ?',
          [validate.keyId(id)],
          toApiKey,
          'api key',
          id,
        ),
      async listKeys(tenantId) {
        if (tenantId !== null) validate.tenantId(tenantId);
        const ids = await exec(
          'SELECT id FROM {ks}.api_keys_by_tenant WHERE owner = ? LIMIT 1000',
          [keyOwner(tenantId)],
          { fetchSize: 1000 },
        );
        const keys = await Promise.all(
          ids.rows.map(async (r) =>
            (await exec('SELECT * FROM {ks}.api_keys WHERE id = ?', [r['id']])).first(),
          ),
        );
        return keys.filter((r): r is Row => r !== null && r !== undefined).map(toApiKey);
      },
      async revokeKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        // Read first: a conditional UPDATE on a missing row would create a row of nulls.
        await one('SELECT id FROM {ks}.api_keys WHERE id = ?', [id], () => id, 'api key', id);
        await exec('UPDATE {ks}.api_keys SET revoked_at = ? WHERE id = ? IF revoked_at = null', [
          at,
          id,
        ]);
        return one('SELECT * FROM {ks}.api_keys WHERE id = ?', [id], toApiKey, 'api key', id, true);
      },
      async expireKey(id, at) {
        validate.keyId(id);
        validate.date(at, 'at');
        await one('SELECT id FROM {ks}.api_keys WHERE id = ?', [id], () => id, 'api key', id);
        // Only ever earlier: set when unset, or when the stored expiry is later (CQL has no OR).
        const unset = await exec(
          'UPDATE {ks}.api_keys SET expires_at = ? WHERE id = ? IF expires_at = null',
          [at, id],
        );
        if (!unset.wasApplied() && unset.first()?.['expires_at']) {
          await exec('UPDATE {ks}.api_keys SET expires_at = ? WHERE id = ? IF expires_at > ?', [
            at,
            id,
            at,
          ]);
        }
        return one('SELECT * FROM {ks}.api_keys WHERE id = ?', [id], toApiKey, 'api key', id, true);
      },
      async recordAudit(e) {
        validate.auditEvent(e);
        // The (tenant, id) claim pins the event's time: a retry writes the row under the first
        // time, so an event is never listed twice, even if the first attempt died in between.
        const claim = await exec(
          'INSERT INTO {ks}.audit_event_ids (tenant_id, id, at) VALUES (?, ?, ?) IF NOT EXISTS',
          [e.tenantId, e.id, e.at],
        );
        const at = claim.wasApplied() ? e.at : date(claim.first()['at']);
        if (!claim.wasApplied()) {
          const stored = (
            await exec(
              'SELECT * FROM {ks}.audit_events WHERE tenant_id = ? AND at = ? AND id = ?',
              [e.tenantId, at, e.id],
            )
          ).first();
          if (stored) return { record: toAuditEvent(stored), created: false };
        }
        const event = { ...e, at };
        const subject = e.subject ?? null;
        // The subject's copy first: once the event's own row exists, both do (a retry that finds
        // it returns above; one that does not writes both again, the same rows).
        if (subject !== null)
          await exec(
            `INSERT INTO {ks}.audit_by_subject (tenant_id, subject, at, id, actor, action,
               resource, request_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [e.tenantId, subject, at, e.id, e.actor, e.action, e.resource, e.requestId, e.status],
          );
        await exec(
          `INSERT INTO {ks}.audit_events (tenant_id, at, id, actor, action, resource, request_id,
             status, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          // No subject: bound unset, not null (no tombstone).
          [
            e.tenantId,
            at,
            e.id,
            e.actor,
            e.action,
            e.resource,
            e.requestId,
            e.status,
            subject ?? types.unset,
          ],
        );
        return { record: event, created: claim.wasApplied() };
      },
      listAudit: async (tenantId, request) =>
        page(
          'SELECT * FROM {ks}.audit_events WHERE tenant_id = ?',
          [validate.tenantId(tenantId)],
          request,
          toAuditEvent,
        ),
      listAuditBySubject: async (tenantId, subject, request) =>
        page(
          'SELECT * FROM {ks}.audit_by_subject WHERE tenant_id = ? AND subject = ?',
          [validate.tenantId(tenantId), validate.auditSubject(subject)],
          request,
          toAuditEvent,
        ),
    },
  };
}
