import type { Money } from './money';

/** A customer of the business. */
export interface Customer {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: Date;
}

export type SubscriptionStatus =
  'trialing' | 'active' | 'past_due' | 'paused' | 'canceled' | 'completed';
export type IntervalUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/**
 * The read model of one subscription workflow's state. The workflow is the source of truth;
 * `version` increases with every change it projects, so a late retry of an older projection
 * never overwrites a newer one.
 */
export interface SubscriptionProjection {
  readonly id: string;
  readonly customerId: string;
  readonly status: SubscriptionStatus;
  readonly price: Money;
  readonly interval: { readonly unit: IntervalUnit; readonly count: number };
  /** The billing anchor: charges fall on this instant's calendar day in `timeZone`. */
  readonly anchorAt: Date;
  readonly timeZone: string;
  readonly nextChargeAt: Date | null;
  readonly periodsBilled: number;
  readonly canceledAt: Date | null;
  readonly cancelEffectiveAt: Date | null;
  readonly cancelReason: string | null;
  readonly pausedAt: Date | null;
  readonly version: number;
  readonly updatedAt: Date;
}

export type ChargeOutcome = 'succeeded' | 'declined' | 'failed';

/** One charge attempt of one subscription period: the ledger is append-only. */
export interface ChargeEntry {
  readonly subscriptionId: string;
  readonly period: number;
  readonly attempt: number;
  readonly customerId: string;
  readonly amount: Money;
  readonly outcome: ChargeOutcome;
  /** The payment provider's reference of the charge (or of the decline). */
  readonly providerRef: string | null;
  readonly failureCode: string | null;
  readonly occurredAt: Date;
}

/**
 * What the local payment gateway stored for an idempotency key: a repeated request with the same
 * key returns this result instead of charging again.
 */
export interface PaymentRecord {
  readonly idempotencyKey: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly paymentMethod: string;
  readonly status: 'succeeded' | 'declined';
  readonly providerRef: string;
  readonly declineCode: string | null;
  readonly createdAt: Date;
}

/** The read model of one customer's loyalty program. */
export interface LoyaltyAccount {
  readonly customerId: string;
  readonly balance: number;
  readonly lifetimePoints: number;
  readonly couponsIssued: number;
  readonly couponsRedeemed: number;
  readonly version: number;
  readonly updatedAt: Date;
}

/**
 * Where a purchase came from. Each source is its own id space, so a caller's purchase id can
 * never collide with (or pre-claim) a subscription charge's award.
 */
export type PurchaseSource = 'purchase' | 'charge';

/**
 * One counted purchase in a customer's points ledger: keyed by (customer, source, purchaseId),
 * forever. The ledger is the source of truth for points: lifetime points are the sum of its rows.
 * Each row also keeps who counted it and the answer given then, so a retry — of the activity that
 * wrote it, or of the client request that asked for it — recognises its own write and gets the
 * first answer, instead of reading it as "counted by someone else".
 */
export interface ProcessedPurchase {
  readonly customerId: string;
  readonly source: PurchaseSource;
  readonly purchaseId: string;
  readonly total: Money;
  readonly points: number;
  readonly processedAt: Date;
  /** The writer: the loyalty program's batch token (`<runId>:<batch>`), the same on every retry. */
  readonly countedBy: string;
  /** The request that counted it (the Update id), or null when a signal did. */
  readonly requestId: string | null;
  /** The first answer: the balance right after this purchase… */
  readonly balanceAfter: number;
  /** …and the coupons it made the customer cross into. */
  readonly couponsIssued: readonly string[];
}

/** A ledger row's key within the customer's ledger. */
export interface PurchaseKey {
  readonly source: PurchaseSource;
  readonly purchaseId: string;
}

export type CouponStatus = 'issued' | 'redeemed';

/** A coupon with a deterministic id (`<customerId>:<n>`), issued once, redeemed at most once. */
export interface Coupon {
  readonly id: string;
  readonly customerId: string;
  readonly value: Money;
  readonly status: CouponStatus;
  readonly issuedAt: Date;
  readonly redeemedAt: Date | null;
  /** The request that redeemed it (an Update id): its retry is answered "redeemed", not "taken". */
  readonly redeemedBy: string | null;
}

/** `failed`: delivery failed permanently (e.g. SMTP 550); the reason is on the row. */
export type EmailStatus = 'pending' | 'sent' | 'failed';

/** An email in the outbox, with a deterministic id so a retried send enqueues it once. */
export interface OutboxEmail {
  readonly id: string;
  readonly customerId: string;
  readonly to: string;
  readonly template: string;
  readonly subject: string;
  readonly body: string;
  readonly status: EmailStatus;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  /** Why delivery failed for good; present only when `status` is `failed`. */
  readonly failure?: string;
}

/** What a finding's row says now: seen by the latest run that looked, or no longer seen. */
export type FindingStatus = 'open' | 'unobserved' | 'resolved';

/**
 * One drift between two sources of truth that reconciliation found, keyed by `key` (its kind and
 * the entity it is about): a drift seen again by a later run is the same row, with a later
 * `lastSeenAt`. Nothing is ever fixed from a finding; it is only reported.
 */
export interface ReconciliationFinding {
  /** `<kind>:<subject>`: the same drift always has the same key. */
  readonly key: string;
  readonly kind: string;
  /** The entity the drift is about (an idempotency key, a subscription or a customer id). */
  readonly subjectId: string;
  readonly customerId: string | null;
  readonly expected: string;
  readonly actual: string;
  readonly status: FindingStatus;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly firstRunId: string;
  readonly lastRunId: string;
}

/** What one run observed: a finding without its history. */
export type FindingObservation = Pick<
  ReconciliationFinding,
  'key' | 'kind' | 'subjectId' | 'customerId' | 'expected' | 'actual'
>;

/** One reconciliation run: started, and once finished, its findings by kind. */
export interface ReconciliationRun {
  readonly id: string;
  readonly status: 'running' | 'completed';
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  /** Findings this run observed, by kind (empty while running). */
  readonly findings: Readonly<Record<string, number>>;
  /** Rows or entities each check examined, by check (empty while running). */
  readonly checked: Readonly<Record<string, number>>;
}

/**
 * A tenant (an account): every customer, subscription, ledger row, coupon, email and workflow
 * it owns is stored under ids prefixed with its id (model/tenancy.ts). Its limits are enforced by
 * the API.
 */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  /** A test tenant may use second and minute billing intervals (never charged for real). */
  readonly test: boolean;
  /** Subscriptions that may run at once. */
  readonly maxActiveSubscriptions: number;
  /** Loyalty programs (customers with points) the tenant may have. */
  readonly maxLoyaltyPrograms: number;
  readonly createdAt: Date;
}

/** What a key may do: `admin` runs the platform, the others act inside their tenant. */
export type ApiKeyRole = 'admin' | 'full' | 'read_only' | 'restricted';

/**
 * A secret API key, stored hashed: `secretHash` is the SHA-256 of the whole secret (random, 256
 * bits, so no slow hash is needed), and the secret itself is shown once, when the key is made.
 */
export interface ApiKeyRecord {
  /** `key_<16 hex>`: also the secret's visible part, so a presented secret is found by id. */
  readonly id: string;
  /** Null for an admin key. */
  readonly tenantId: string | null;
  readonly name: string;
  readonly role: ApiKeyRole;
  /** For `restricted`: `<resource>:<read|write>` grants, e.g. `loyalty:read`. */
  readonly permissions: readonly string[];
  readonly secretHash: string;
  readonly createdAt: Date;
  /** When a rotated-out key stops working (null: never); rotation sets it on the old key. */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** One write, as the audit log keeps it: who did what, when, under which request id. */
export interface AuditEvent {
  readonly tenantId: string;
  /** Unique per event: the request id and the operation (a retried request keeps its row). */
  readonly id: string;
  readonly at: Date;
  /** `key:<keyId>`, `dev:<name>` or `customer:<customerId>` (a customer token). */
  readonly actor: string;
  /** The operation, e.g. `createSubscription`. */
  readonly action: string;
  /** The path written to, with the tenant's own ids. */
  readonly resource: string;
  readonly requestId: string;
  /** The HTTP status the write was answered with. */
  readonly status: number;
  /**
   * What the write was about, e.g. `subscription:sub_1` (the tenant's own id), so its history can
   * be listed (`listAuditBySubject`). Absent or null: about nothing listed by subject.
   */
  readonly subject?: string | null;
}
