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
  PurchaseKey,
  FindingObservation,
  ReconciliationFinding,
  ReconciliationRun,
  SubscriptionProjection,
  Tenant,
} from '../model/entities';
import type { Page, PageRequest, Stored } from './paging';

/**
 * Every write Temporal may retry is idempotent: repeating it with the same key changes nothing
 * and returns what was stored the first time (`created: false`). Reads of a missing key throw
 * `NotFoundError`; input that fails validation throws `ValidationError` before anything is
 * written; an unreachable or timed-out database throws `UnavailableError` (retryable: a timed-out
 * write may have been applied, and retrying it is safe for the same reason).
 */
export interface CustomersPort {
  /** Stores the customer and, for a tenant's id (`<tenantId>~…`), lists it under its tenant. */
  create(customer: Customer): Promise<Stored<Customer>>;
  get(id: string): Promise<Customer>;
  /**
   * The customers of `tenantId` (those stored as `<tenantId>~…`), a page at a time, in no promised
   * order; never another tenant's. A page may hold fewer than its limit (a listing row whose
   * customer is not stored yet is skipped) while `nextCursor` says more remain.
   */
  listByTenant(tenantId: string, page?: PageRequest): Promise<Page<Customer>>;
}

export interface SubscriptionsPort {
  /** Stores the projection unless a projection with the same or a higher version is stored. */
  save(projection: SubscriptionProjection): Promise<SubscriptionProjection>;
  get(id: string): Promise<SubscriptionProjection>;
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<SubscriptionProjection>>;
  /**
   * The subscriptions of `tenantId` (stored as `<tenantId>~…`), a page at a time, in no promised
   * order; never another tenant's. Like `CustomersPort.listByTenant`, a page may hold fewer than
   * its limit while `nextCursor` says more remain.
   */
  listByTenant(tenantId: string, page?: PageRequest): Promise<Page<SubscriptionProjection>>;
  /** Every projection, a page at a time, in no promised order (reconciliation's full scan). */
  scan(page?: PageRequest): Promise<Page<SubscriptionProjection>>;
}

export interface ChargesPort {
  /** Appends a ledger entry keyed by (subscriptionId, period, attempt). */
  record(entry: ChargeEntry): Promise<Stored<ChargeEntry>>;
  get(subscriptionId: string, period: number, attempt: number): Promise<ChargeEntry>;
  /** In (period, attempt) order. */
  listBySubscription(subscriptionId: string, page?: PageRequest): Promise<Page<ChargeEntry>>;
}

export interface PaymentsPort {
  /**
   * Claims an idempotency key with the gateway's result. The same key with a different request
   * (customer, amount, payment method) is a `ConflictError`: a key is never reused.
   */
  claim(record: PaymentRecord): Promise<Stored<PaymentRecord>>;
  get(idempotencyKey: string): Promise<PaymentRecord>;
  /** Every record, a page at a time, in no promised order (reconciliation's full scan). */
  scan(page?: PageRequest): Promise<Page<PaymentRecord>>;
}

export interface LoyaltyAccountsPort {
  /** Stores the projection unless one with the same or a higher version is stored. */
  save(account: LoyaltyAccount): Promise<LoyaltyAccount>;
  get(customerId: string): Promise<LoyaltyAccount>;
  /** Atomically adds `points` (may be negative, never below zero) and bumps the version. */
  addPoints(customerId: string, points: number, at: Date): Promise<LoyaltyAccount>;
  /** Every account, a page at a time, in no promised order (reconciliation's full scan). */
  scan(page?: PageRequest): Promise<Page<LoyaltyAccount>>;
}

/** The points ledger: one row per (customer, source, purchaseId), never updated, never deleted. */
export interface PurchasesPort {
  /** Stores the row unless one with its key exists; then returns the stored row (`created: false`). */
  record(purchase: ProcessedPurchase): Promise<Stored<ProcessedPurchase>>;
  get(customerId: string, key: PurchaseKey): Promise<ProcessedPurchase>;
  /** The stored rows of `keys` (at most 100), in no particular order; missing keys are absent. */
  find(customerId: string, keys: readonly PurchaseKey[]): Promise<ProcessedPurchase[]>;
  /** Rows and points in the customer's ledger: what rehydrates a loyalty program. */
  totals(customerId: string): Promise<{ readonly purchases: number; readonly points: number }>;
  /**
   * The customer's ledger rows (both sources), a page at a time, in no promised order (Cassandra
   * and memory: by source, then purchaseId; the Data API: its own order). Newest first would need
   * a second, time-ordered copy of the ledger on every backend: a reader sorts a page it needs so.
   */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<ProcessedPurchase>>;
}

export interface CouponsPort {
  issue(coupon: Coupon): Promise<Stored<Coupon>>;
  get(id: string): Promise<Coupon>;
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Coupon>>;
  /**
   * Marks the customer's coupon redeemed by `requestId`. Exactly one of any number of concurrent
   * requests succeeds; the others get `ConflictError`. A retry of the request that redeemed it
   * (same `requestId`) gets the redeemed coupon again. Another customer's coupon is
   * `NotFoundError`.
   */
  redeem(id: string, customerId: string, at: Date, requestId: string): Promise<Coupon>;
  /** How many coupons the customer has been issued (rehydrates a loyalty program). */
  countByCustomer(customerId: string): Promise<number>;
}

export interface OutboxPort {
  enqueue(email: OutboxEmail): Promise<Stored<OutboxEmail>>;
  get(id: string): Promise<OutboxEmail>;
  /** Idempotent: marking a sent email sent again keeps the first `sentAt`. */
  markSent(id: string, at: Date): Promise<OutboxEmail>;
  /**
   * Records a permanent delivery failure (status `failed`, `failure`): only a pending email
   * changes; a sent or already failed one is returned as it is.
   */
  markFailed(id: string, failure: string): Promise<OutboxEmail>;
  /** Up to `limit` pending emails (no order promised): the delivery loop's work. */
  listPending(limit: number): Promise<OutboxEmail[]>;
  /** Newest first. */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<OutboxEmail>>;
}

/**
 * Reconciliation's runs and findings. A finding is one row per key across runs (its history is
 * first and last seen); observing it again in the same run changes nothing, so a retried check
 * writes no duplicate.
 */
export interface ReconciliationPort {
  /** Stores the run unless one with its id exists (then returns that one, `created: false`). */
  startRun(run: ReconciliationRun): Promise<Stored<ReconciliationRun>>;
  /** Completes the run with its counts and makes it the latest; a repeat keeps the first. */
  finishRun(
    id: string,
    finishedAt: Date,
    counts: Pick<ReconciliationRun, 'findings' | 'checked'>,
  ): Promise<ReconciliationRun>;
  getRun(id: string): Promise<ReconciliationRun>;
  /** The run that finished last, or null before any has. */
  latestRun(): Promise<ReconciliationRun | null>;
  /**
   * Records that run `runId` observed a drift at `at`: a new key is stored `open`; a known one
   * becomes `open` again with `lastSeenAt`/`lastRunId` moved on (its first sighting kept). A
   * repeat within the same run changes nothing.
   */
  observe(runId: string, finding: FindingObservation, at: Date): Promise<ReconciliationFinding>;
  /**
   * Marks an open finding `unobserved` if its `lastRunId` is still `lastRunId` (a run that did
   * not see it again); a finding observed meanwhile by another run is left as it is.
   */
  markUnobserved(key: string, lastRunId: string): Promise<ReconciliationFinding>;
  getFinding(key: string): Promise<ReconciliationFinding>;
  /** The open findings, or all of them, a page at a time, in no promised order. */
  listFindings(status: 'open' | 'all', page?: PageRequest): Promise<Page<ReconciliationFinding>>;
}

/**
 * Tenants, their API keys (hashed) and the audit log of their writes. Keys are read by id on
 * every authentication (the API caches them briefly); a key is never deleted, only revoked or
 * expired, so the audit log always names a key that can be looked up.
 */
export interface AccessPort {
  /** Stores the tenant unless one with its id exists (then returns that one, `created: false`). */
  createTenant(tenant: Tenant): Promise<Stored<Tenant>>;
  getTenant(id: string): Promise<Tenant>;
  /** Stores the key unless one with its id exists. */
  createKey(key: ApiKeyRecord): Promise<Stored<ApiKeyRecord>>;
  getKey(id: string): Promise<ApiKeyRecord>;
  /** The keys of a tenant (or the admin keys, for null), oldest first, at most 1,000. */
  listKeys(tenantId: string | null): Promise<ApiKeyRecord[]>;
  /** Revokes the key at `at`; revoking again keeps the first time. */
  revokeKey(id: string, at: Date): Promise<ApiKeyRecord>;
  /** Makes the key stop working at `at` (a rotation); an earlier expiry already set is kept. */
  expireKey(id: string, at: Date): Promise<ApiKeyRecord>;
  /** Appends an event unless one with its (tenant, id) exists: a retried write is logged once. */
  recordAudit(event: AuditEvent): Promise<Stored<AuditEvent>>;
  /**
   * The tenant's audit log, newest first: by `at` on Cassandra and in memory; on the Data API by
   * the order recorded (events of concurrent requests may interleave within milliseconds).
   */
  listAudit(tenantId: string, page?: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * The tenant's audit events about `subject` (e.g. `subscription:sub_1`), newest first, in the
   * same order as `listAudit`: a subject's history. Only events recorded with a `subject` are
   * listed; events recorded before subjects existed have none and are not backfilled.
   */
  listAuditBySubject(
    tenantId: string,
    subject: string,
    page?: PageRequest,
  ): Promise<Page<AuditEvent>>;
}

/** The counts of one rate-limit bucket in two consecutive windows, after one more hit. */
export interface WindowCounts {
  /** Hits in window `window`, this one included (never fewer; under concurrency maybe more). */
  readonly current: number;
  /** Hits in window `window - 1`. */
  readonly previous: number;
}

/**
 * Hit counters per (bucket, window) for a sliding-window rate limit shared by every API replica.
 * The caller numbers the windows (e.g. `Math.floor(now / 60_000)`) and estimates the rate over
 * the last window length from the two counts (see the API's rate limiter). A counter is never
 * under-counted: a read may include concurrent hits, and a retried increment may count twice —
 * both only make a limit stricter. Windows older than `window - 1` may be deleted at any time.
 *
 * @example
 * ```ts
 * const { current, previous } = await repo.rateLimits.hit('api:shop:60000', Math.floor(Date.now() / 60_000));
 * ```
 */
export interface RateLimitsPort {
  /** Counts one hit of `bucket` in `window` and returns that window's and the previous one's counts. */
  hit(bucket: string, window: number): Promise<WindowCounts>;
}

/** The business data of Invincible, on whichever backend the config names. */
export interface Repository {
  readonly backend: 'cassandra' | 'astra' | 'in-memory';
  readonly customers: CustomersPort;
  readonly subscriptions: SubscriptionsPort;
  readonly charges: ChargesPort;
  readonly payments: PaymentsPort;
  readonly loyalty: LoyaltyAccountsPort;
  readonly purchases: PurchasesPort;
  readonly coupons: CouponsPort;
  readonly outbox: OutboxPort;
  readonly reconciliation: ReconciliationPort;
  readonly access: AccessPort;
  readonly rateLimits: RateLimitsPort;
  /** Resolves when the database answers; rejects with `UnavailableError`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
