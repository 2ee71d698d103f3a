import { z } from 'zod';
import { ConflictError, NotFoundError, UnavailableError } from '../errors';
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
import { applyPoints, chargeKey, emptyAccount, checkClaim, observedFinding } from '../model/rules';
import { tenantOf } from '../model/tenancy';
import { validate } from '../model/validation';
import { decodeCursor, encodeCursor } from '../ports/cursor';
import { createInMemoryRateLimits } from './in-memory-rate-limits';
import type { Page, PageRequest, Stored } from '../ports/paging';
import type { Repository } from '../ports/repository';

/**
 * The repository in memory: the reference semantics of every port, for fast unit tests of
 * activities and the API. A test double only — nothing survives the process.
 */
export interface InMemoryRepository extends Repository {
  /** Makes every call fail with `UnavailableError` (or succeed again), as a down database would. */
  setAvailable(available: boolean): void;
}

const offsetCursor = z.strictObject({ o: z.number().int().min(0) });

function paginate<T>(
  sorted: readonly T[],
  page: PageRequest | undefined,
  listing: string,
): Page<T> {
  const limit = validate.pageLimit(page?.limit);
  const offset = decodeCursor(page?.cursor, offsetCursor, listing)?.o ?? 0;
  const items = sorted.slice(offset, offset + limit);
  const next = offset + limit;
  return { items, nextCursor: next < sorted.length ? encodeCursor(listing, { o: next }) : null };
}

function insertOnce<T>(map: Map<string, T>, key: string, value: T): Stored<T> {
  const existing = map.get(key);
  if (existing !== undefined) return { record: existing, created: false };
  map.set(key, value);
  return { record: value, created: true };
}

function found<T>(value: T | undefined, entity: string, id: string): T {
  if (value === undefined) throw new NotFoundError(entity, id);
  return value;
}

export function createInMemoryRepository(): InMemoryRepository {
  const customers = new Map<string, Customer>();
  const subscriptions = new Map<string, SubscriptionProjection>();
  const charges = new Map<string, ChargeEntry>();
  const payments = new Map<string, PaymentRecord>();
  const accounts = new Map<string, LoyaltyAccount>();
  const purchases = new Map<string, ProcessedPurchase>();
  const coupons = new Map<string, Coupon>();
  const emails = new Map<string, OutboxEmail>();
  const runs = new Map<string, ReconciliationRun>();
  const findings = new Map<string, ReconciliationFinding>();
  const tenants = new Map<string, Tenant>();
  const keys = new Map<string, ApiKeyRecord>();
  const audit = new Map<string, AuditEvent>();
  const rateLimits = createInMemoryRateLimits();
  let latestRunId: string | null = null;
  let available = true;
  let closed = false;

  // Every method goes through `run`: availability first, then validation, then the work, all
  // synchronous inside, so each call is atomic like a lightweight transaction.
  const run = <T>(work: () => T): Promise<T> => {
    try {
      if (closed || !available) {
        return Promise.reject(
          new UnavailableError('in-memory', closed ? 'closed' : 'switched off by the test'),
        );
      }
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const saveVersioned = <T extends { version: number }>(
    map: Map<string, T>,
    key: string,
    value: T,
  ): T => {
    const stored = map.get(key);
    if (stored && stored.version >= value.version) return stored;
    map.set(key, value);
    return value;
  };

  return {
    backend: 'in-memory',
    setAvailable(value) {
      available = value;
    },
    ping: () => run(() => undefined),
    rateLimits: {
      hit: (bucket, window) => run(() => undefined).then(() => rateLimits.hit(bucket, window)),
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
    customers: {
      create: (c) => run(() => insertOnce(customers, validate.customer(c).id, c)),
      get: (id) => run(() => found(customers.get(validate.id(id)), 'customer', id)),
      listByTenant: (tenantId, page) =>
        run(() => {
          validate.tenantId(tenantId);
          const all = sortedBy(customers, (c) => c.id).filter((c) => tenantOf(c.id) === tenantId);
          return paginate(all, page, `customers-of:${tenantId}`);
        }),
    },
    subscriptions: {
      save: (p) => run(() => saveVersioned(subscriptions, validate.subscription(p).id, p)),
      get: (id) => run(() => found(subscriptions.get(validate.id(id)), 'subscription', id)),
      listByCustomer: (customerId, page) =>
        run(() => {
          validate.id(customerId, 'customerId');
          const all = [...subscriptions.values()]
            .filter((s) => s.customerId === customerId)
            .sort((a, b) => cmp(a.id, b.id));
          return paginate(all, page, `subscriptions:${customerId}`);
        }),
      listByTenant: (tenantId, page) =>
        run(() => {
          validate.tenantId(tenantId);
          const all = sortedBy(subscriptions, (s) => s.id).filter(
            (s) => tenantOf(s.id) === tenantId,
          );
          return paginate(all, page, `subscriptions-of:${tenantId}`);
        }),
      scan: (page) =>
        run(() =>
          paginate(
            sortedBy(subscriptions, (s) => s.id),
            page,
            'subscriptions',
          ),
        ),
    },
    charges: {
      record: (e) => run(() => insertOnce(charges, chargeKey(validate.charge(e)), e)),
      get: (subscriptionId, period, attempt) =>
        run(() => {
          const key = chargeKey({
            subscriptionId: validate.id(subscriptionId),
            period: validate.positive(period, 'period'),
            attempt: validate.positive(attempt, 'attempt'),
          });
          return found(charges.get(key), 'charge', key);
        }),
      listBySubscription: (subscriptionId, page) =>
        run(() => {
          validate.id(subscriptionId, 'subscriptionId');
          const all = [...charges.values()]
            .filter((c) => c.subscriptionId === subscriptionId)
            .sort((a, b) => a.period - b.period || a.attempt - b.attempt);
          return paginate(all, page, `charges:${subscriptionId}`);
        }),
    },
    payments: {
      claim: (p) =>
        run(() => {
          const stored = insertOnce(payments, validate.payment(p).idempotencyKey, p);
          return checkClaim(stored, p);
        }),
      get: (key) => run(() => found(payments.get(validate.key(key)), 'payment', key)),
      scan: (page) =>
        run(() =>
          paginate(
            sortedBy(payments, (p) => p.idempotencyKey),
            page,
            'payments',
          ),
        ),
    },
    loyalty: {
      save: (a) => run(() => saveVersioned(accounts, validate.loyaltyAccount(a).customerId, a)),
      get: (customerId) =>
        run(() => found(accounts.get(validate.id(customerId)), 'loyalty account', customerId)),
      addPoints: (customerId, points, at) =>
        run(() => {
          validate.id(customerId, 'customerId');
          validate.points(points);
          validate.date(at, 'at');
          const current = accounts.get(customerId) ?? emptyAccount(customerId, at);
          const next = applyPoints(current, points, at);
          accounts.set(customerId, next);
          return next;
        }),
      scan: (page) =>
        run(() =>
          paginate(
            sortedBy(accounts, (a) => a.customerId),
            page,
            'loyalty_accounts',
          ),
        ),
    },
    purchases: {
      record: (p) =>
        run(() => insertOnce(purchases, ledgerKey(validate.purchase(p).customerId, p), p)),
      get: (customerId, key) =>
        run(() => {
          const k = ledgerKey(validate.id(customerId, 'customerId'), validate.purchaseKey(key));
          return found(purchases.get(k), 'purchase', k);
        }),
      find: (customerId, keys) =>
        run(() => {
          validate.id(customerId, 'customerId');
          return validate
            .purchaseKeys(keys)
            .map((key) => purchases.get(ledgerKey(customerId, key)))
            .filter((p): p is ProcessedPurchase => p !== undefined);
        }),
      totals: (customerId) =>
        run(() => {
          validate.id(customerId, 'customerId');
          let count = 0;
          let points = 0;
          for (const p of purchases.values()) {
            if (p.customerId !== customerId) continue;
            count++;
            points += p.points;
          }
          return { purchases: count, points };
        }),
      listByCustomer: (customerId, page) =>
        run(() => {
          validate.id(customerId, 'customerId');
          // The CQL ledger's clustering order: by source, then purchaseId.
          const all = [...purchases.values()]
            .filter((p) => p.customerId === customerId)
            .sort((a, b) => cmp(a.source, b.source) || cmp(a.purchaseId, b.purchaseId));
          return paginate(all, page, `purchases:${customerId}`);
        }),
    },
    coupons: {
      issue: (c) => run(() => insertOnce(coupons, validate.coupon(c).id, c)),
      get: (id) => run(() => found(coupons.get(validate.key(id)), 'coupon', id)),
      listByCustomer: (customerId, page) =>
        run(() => {
          validate.id(customerId, 'customerId');
          const all = [...coupons.values()]
            .filter((c) => c.customerId === customerId)
            .sort((a, b) => cmp(a.id, b.id));
          return paginate(all, page, `coupons:${customerId}`);
        }),
      redeem: (id, customerId, at, requestId) =>
        run(() => {
          validate.key(id);
          validate.id(customerId, 'customerId');
          validate.date(at, 'at');
          validate.requestId(requestId);
          const coupon = coupons.get(id);
          if (!coupon || coupon.customerId !== customerId) throw new NotFoundError('coupon', id);
          if (coupon.status === 'redeemed') {
            if (coupon.redeemedBy === requestId) return coupon;
            throw new ConflictError('coupon', id, 'already redeemed');
          }
          const redeemed: Coupon = {
            ...coupon,
            status: 'redeemed',
            redeemedAt: at,
            redeemedBy: requestId,
          };
          coupons.set(id, redeemed);
          return redeemed;
        }),
      countByCustomer: (customerId) =>
        run(() => {
          validate.id(customerId, 'customerId');
          return [...coupons.values()].filter((c) => c.customerId === customerId).length;
        }),
    },
    outbox: {
      enqueue: (e) => run(() => insertOnce(emails, validate.email(e).id, e)),
      get: (id) => run(() => found(emails.get(validate.key(id)), 'email', id)),
      markSent: (id, at) =>
        run(() => {
          validate.date(at, 'at');
          const email = found(emails.get(validate.key(id)), 'email', id);
          if (email.status === 'sent') return email;
          const sent: OutboxEmail = { ...email, status: 'sent', sentAt: at };
          emails.set(id, sent);
          return sent;
        }),
      markFailed: (id, failure) =>
        run(() => {
          validate.failure(failure);
          const email = found(emails.get(validate.key(id)), 'email', id);
          if (email.status !== 'pending') return email;
          const failed: OutboxEmail = { ...email, status: 'failed', failure };
          emails.set(id, failed);
          return failed;
        }),
      listPending: (limit) =>
        run(() =>
          [...emails.values()]
            .filter((e) => e.status === 'pending')
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id, b.id))
            .slice(0, validate.pendingLimit(limit)),
        ),
      listByCustomer: (customerId, page) =>
        run(() => {
          validate.id(customerId, 'customerId');
          const all = [...emails.values()]
            .filter((e) => e.customerId === customerId)
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || cmp(a.id, b.id));
          return paginate(all, page, `emails:${customerId}`);
        }),
    },
    reconciliation: {
      startRun: (r) => run(() => insertOnce(runs, validate.run(r).id, r)),
      finishRun: (id, finishedAt, counts) =>
        run(() => {
          validate.key(id);
          validate.date(finishedAt, 'finishedAt');
          validate.runCounts(counts);
          const stored = found(runs.get(id), 'reconciliation run', id);
          if (stored.status === 'completed') return stored;
          const finished: ReconciliationRun = {
            ...stored,
            status: 'completed',
            finishedAt,
            findings: counts.findings,
            checked: counts.checked,
          };
          runs.set(id, finished);
          const latest = latestRunId === null ? undefined : runs.get(latestRunId);
          if (!latest?.finishedAt || latest.finishedAt < finishedAt) latestRunId = id;
          return finished;
        }),
      getRun: (id) => run(() => found(runs.get(validate.key(id)), 'reconciliation run', id)),
      latestRun: () => run(() => (latestRunId === null ? null : (runs.get(latestRunId) ?? null))),
      observe: (runId, observation, at) =>
        run(() => {
          validate.key(runId, 'runId');
          validate.observation(observation);
          validate.date(at, 'at');
          const next = observedFinding(findings.get(observation.key), runId, observation, at);
          findings.set(next.key, next);
          return next;
        }),
      markUnobserved: (key, lastRunId) =>
        run(() => {
          validate.key(key);
          validate.key(lastRunId, 'lastRunId');
          const stored = found(findings.get(key), 'finding', key);
          if (stored.status !== 'open' || stored.lastRunId !== lastRunId) return stored;
          const unobserved: ReconciliationFinding = { ...stored, status: 'unobserved' };
          findings.set(key, unobserved);
          return unobserved;
        }),
      getFinding: (key) => run(() => found(findings.get(validate.key(key)), 'finding', key)),
      listFindings: (status, page) =>
        run(() => {
          const wanted = validate.findingStatus(status);
          const all = sortedBy(findings, (f) => f.key).filter(
            (f) => wanted === 'all' || f.status === 'open',
          );
          return paginate(all, page, `findings:${wanted}`);
        }),
    },
    access: {
      createTenant: (t) => run(() => insertOnce(tenants, validate.tenant(t).id, t)),
      getTenant: (id) => run(() => found(tenants.get(validate.tenantId(id)), 'tenant', id)),
      createKey: (k) => run(() => insertOnce(keys, validate.apiKey(k).id, k)),
      getKey: (id) => run(() => found(keys.get(validate.keyId(id)), 'api key', id)),
      listKeys: (tenantId) =>
        run(() => {
          if (tenantId !== null) validate.tenantId(tenantId);
          return [...keys.values()]
            .filter((k) => k.tenantId === tenantId)
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id, b.id))
            .slice(0, 1_000);
        }),
      revokeKey: (id, at) =>
        run(() => {
          validate.date(at, 'at');
          const stored = found(keys.get(validate.keyId(id)), 'api key', id);
          if (stored.revokedAt) return stored;
          const revoked = { ...stored, revokedAt: at };
          keys.set(id, revoked);
          return revoked;
        }),
      expireKey: (id, at) =>
        run(() => {
          validate.date(at, 'at');
          const stored = found(keys.get(validate.keyId(id)), 'api key', id);
          if (stored.expiresAt && stored.expiresAt <= at) return stored;
          const expiring = { ...stored, expiresAt: at };
          keys.set(id, expiring);
          return expiring;
        }),
      recordAudit: (e) =>
        run(() => {
          const event = validate.auditEvent(e);
          return insertOnce(audit, `${event.tenantId}/${event.id}`, e);
        }),
      listAudit: (tenantId, page) =>
        run(() => {
          validate.tenantId(tenantId);
          const all = [...audit.values()]
            .filter((e) => e.tenantId === tenantId)
            .sort((a, b) => b.at.getTime() - a.at.getTime() || cmp(a.id, b.id));
          return paginate(all, page, `audit:${tenantId}`);
        }),
      listAuditBySubject: (tenantId, subject, page) =>
        run(() => {
          validate.tenantId(tenantId);
          validate.auditSubject(subject);
          const all = [...audit.values()]
            .filter((e) => e.tenantId === tenantId && e.subject === subject)
            .sort((a, b) => b.at.getTime() - a.at.getTime() || cmp(a.id, b.id));
          return paginate(all, page, `audit:${tenantId}:${subject}`);
        }),
    },
  };
}

function sortedBy<T>(map: ReadonlyMap<string, T>, key: (value: T) => string): T[] {
  return [...map.values()].sort((a, b) => cmp(key(a), key(b)));
}

/** The ledger's key: a customer's own id space, split by source. */
function ledgerKey(customerId: string, key: { source: string; purchaseId: string }): string {
  return `${customerId}/${key.source}/${key.purchaseId}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
