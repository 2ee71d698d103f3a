import { z } from 'zod';
import type {
  ApiKeyRecord,
  AuditEvent,
  Coupon,
  ChargeEntry,
  Customer,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  ProcessedPurchase,
  PurchaseKey,
  FindingObservation,
  ReconciliationRun,
  SubscriptionProjection,
  Tenant,
} from './entities';
import { CURRENCY_CODES } from '@invincible/money';
import { ValidationError } from '../errors';

/**
 * A business id: letters, digits, `_`, `.` and `-`, at most 64 characters. No `:` (composite
 * keys use it as a separator), no `/` (ids travel in URLs), no `$` (never a query operator).
 */
export const idSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'an id: up to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
  );

/** A composite key such as `<subscriptionId>:<period>:<attempt>` or `<customerId>:<n>`. */
export const keySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/,
    'a key: up to 200 letters, digits, "_", ".", ":" or "-"',
  );

/**
 * An id as stored: an `idSchema` id, optionally in a tenant (`<tenantId>~<id>`, see
 * model/tenancy.ts). What the ports accept; callers' ids are `idSchema`, without the `~`.
 */
export const storedIdSchema = z
  .string()
  .regex(
    /^(?:[a-z0-9][a-z0-9-]{1,31}~)?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'an id: up to 64 letters, digits, "_", "." or "-", optionally after "<tenant>~"',
  );

/** A key as stored: a `keySchema` key that may contain tenant-scoped ids (so also `~`). */
export const storedKeySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:~-]{0,239}$/,
    'a key: up to 240 letters, digits, "_", ".", ":", "~" or "-"',
  );

/** An enum rather than a check, so that a schema generated from it lists the accepted codes. */
export const currencySchema = z.enum(CURRENCY_CODES, {
  error: 'an ISO 4217 currency code such as USD',
});

export const moneySchema = z.strictObject({
  amountMinor: z
    .number()
    .int('whole minor units (cents), never fractions')
    .min(0)
    .max(Number.MAX_SAFE_INTEGER),
  currency: currencySchema,
});

const date = z.date().refine((d) => !Number.isNaN(d.getTime()), 'a valid date');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positive = z.number().int().min(1).max(1_000_000);
const text = (max: number) => z.string().max(max, `at most ${max} characters`);

const customer = z.strictObject({
  id: storedIdSchema,
  email: z.email().max(254),
  name: text(200).min(1),
  createdAt: date,
});

const subscription = z.strictObject({
  id: storedIdSchema,
  customerId: storedIdSchema,
  status: z.enum(['trialing', 'active', 'past_due', 'paused', 'canceled', 'completed']),
  price: moneySchema,
  interval: z.strictObject({
    unit: z.enum(['second', 'minute', 'hour', 'day', 'week', 'month', 'year']),
    count: positive,
  }),
  anchorAt: date,
  timeZone: text(64).refine(isTimeZone, 'an IANA time zone such as Europe/Paris'),
  nextChargeAt: date.nullable(),
  periodsBilled: count,
  canceledAt: date.nullable(),
  cancelEffectiveAt: date.nullable(),
  cancelReason: text(200).nullable(),
  pausedAt: date.nullable(),
  version: count,
  updatedAt: date,
});

const charge = z.strictObject({
  subscriptionId: storedIdSchema,
  period: positive,
  attempt: positive,
  customerId: storedIdSchema,
  amount: moneySchema,
  outcome: z.enum(['succeeded', 'declined', 'failed']),
  providerRef: text(200).nullable(),
  failureCode: text(100).nullable(),
  occurredAt: date,
});

const payment = z.strictObject({
  idempotencyKey: storedKeySchema,
  customerId: storedIdSchema,
  amount: moneySchema,
  paymentMethod: text(100).min(1),
  status: z.enum(['succeeded', 'declined']),
  providerRef: text(200).min(1),
  declineCode: text(100).nullable(),
  createdAt: date,
});

const loyaltyAccount = z.strictObject({
  customerId: storedIdSchema,
  balance: count,
  lifetimePoints: count,
  couponsIssued: count,
  couponsRedeemed: count,
  version: count,
  updatedAt: date,
});

const source = z.enum(['purchase', 'charge']);
// A charge's award uses the charge's idempotency key, which carries its tenant.
const purchaseKey = z.strictObject({ source, purchaseId: storedKeySchema });
const purchase = z.strictObject({
  customerId: storedIdSchema,
  source,
  purchaseId: storedKeySchema,
  total: moneySchema,
  points: count,
  processedAt: date,
  countedBy: text(200).min(1),
  requestId: text(300).nullable(),
  balanceAfter: count,
  couponsIssued: z.array(storedKeySchema).max(1_000),
});

const coupon = z.strictObject({
  id: storedKeySchema,
  customerId: storedIdSchema,
  value: moneySchema,
  status: z.enum(['issued', 'redeemed']),
  issuedAt: date,
  redeemedAt: date.nullable(),
  redeemedBy: text(300).nullable(),
});

const email = z.strictObject({
  id: storedKeySchema,
  customerId: storedIdSchema,
  to: z.email().max(254),
  template: text(64).min(1),
  subject: text(300).min(1),
  body: text(64 * 1024),
  status: z.enum(['pending', 'sent']),
  createdAt: date,
  sentAt: date.nullable(),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses `value` with `schema` or throws a `ValidationError` naming every bad field. */
function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const path =
      issue.path.length > 0
        ? issue.path.join('.')
        : issue.code === 'unrecognized_keys'
          ? issue.keys.join(',')
          : what;
    fields[path] =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : issue.message;
  }
  throw new ValidationError(
    `invalid ${what}: ${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
    fields,
  );
}

const counts = z.record(z.string().regex(/^[a-z][a-z_]{0,63}$/), count);

const run = z.strictObject({
  id: storedKeySchema,
  status: z.enum(['running', 'completed']),
  startedAt: date,
  finishedAt: date.nullable(),
  findings: counts,
  checked: counts,
});

const observation = z.strictObject({
  key: storedKeySchema,
  kind: z.string().regex(/^[a-z][a-z_]{0,63}$/, 'a kind: lower-case letters and "_"'),
  subjectId: storedKeySchema,
  customerId: storedIdSchema.nullable(),
  expected: text(500),
  actual: text(500),
});

const tenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'a tenant id: 2 to 32 a-z, 0-9, "-"');
const PERMISSION = /^(customers|subscriptions|loyalty|emails|audit|tokens):(read|write)$/;

const tenant = z.strictObject({
  id: tenantId,
  name: text(200).min(1),
  test: z.boolean(),
  maxActiveSubscriptions: z.number().int().min(0).max(100_000_000),
  maxLoyaltyPrograms: z.number().int().min(0).max(100_000_000),
  createdAt: date,
});

const apiKey = z
  .strictObject({
    id: z.string().regex(/^key_[0-9a-f]{16}$/, 'a key id: key_ and 16 hex digits'),
    tenantId: tenantId.nullable(),
    name: text(100).min(1),
    role: z.enum(['admin', 'full', 'read_only', 'restricted']),
    permissions: z.array(z.string().regex(PERMISSION, 'a permission such as loyalty:read')).max(20),
    secretHash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest in hex'),
    createdAt: date,
    expiresAt: date.nullable(),
    revokedAt: date.nullable(),
  })
  .refine((k) => (k.role === 'admin') === (k.tenantId === null), {
    message: 'an admin key has no tenant; every other key has one',
    path: ['tenantId'],
  })
  .refine((k) => k.role === 'restricted' || k.permissions.length === 0, {
    message: 'only a restricted key lists permissions',
    path: ['permissions'],
  });

/** What an audit event is about: `<kind>:<id>`, e.g. `subscription:sub_1`. */
const auditSubject = z
  .string()
  .max(300)
  .regex(/^[a-z]+:\S+$/, 'must be <kind>:<id>, e.g. subscription:sub_1');

const auditEvent = z.strictObject({
  tenantId,
  id: text(300).min(1),
  at: date,
  actor: text(200).min(1),
  action: text(100).min(1),
  resource: text(500).min(1),
  requestId: text(128).min(1),
  status: z.number().int().min(100).max(599),
  subject: auditSubject.nullable().optional(),
});

/** Validators of everything the ports accept: the only way input reaches a query. */
export const validate = {
  id: (value: unknown, what = 'id'): string => check(storedIdSchema, value, what),
  key: (value: unknown, what = 'key'): string => check(storedKeySchema, value, what),
  customer: (value: Customer): Customer => check(customer, value, 'customer'),
  subscription: (value: SubscriptionProjection): SubscriptionProjection =>
    check(subscription, value, 'subscription'),
  charge: (value: ChargeEntry): ChargeEntry => check(charge, value, 'charge'),
  payment: (value: PaymentRecord): PaymentRecord => check(payment, value, 'payment'),
  loyaltyAccount: (value: LoyaltyAccount): LoyaltyAccount =>
    check(loyaltyAccount, value, 'loyalty account'),
  purchase: (value: ProcessedPurchase): ProcessedPurchase => check(purchase, value, 'purchase'),
  purchaseKey: (value: PurchaseKey): PurchaseKey => check(purchaseKey, value, 'purchase key'),
  purchaseKeys: (value: readonly PurchaseKey[]): PurchaseKey[] =>
    check(z.array(purchaseKey).max(100), value, 'purchase keys'),
  requestId: (value: unknown): string => check(text(300).min(1), value, 'requestId'),
  coupon: (value: Coupon): Coupon => check(coupon, value, 'coupon'),
  email: (value: OutboxEmail): OutboxEmail => check(email, value, 'email'),
  failure: (value: unknown): string => check(text(500).min(1), value, 'failure'),
  /** How many pending emails one delivery round may take. */
  pendingLimit: (value: unknown): number => check(z.number().int().min(1).max(500), value, 'limit'),
  positive: (value: unknown, what: string): number => check(positive, value, what),
  points: (value: unknown): number =>
    check(
      z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
      value,
      'points',
    ),
  date: (value: unknown, what: string): Date => check(date, value, what),
  run: (value: ReconciliationRun): ReconciliationRun => check(run, value, 'run'),
  runCounts: (value: Pick<ReconciliationRun, 'findings' | 'checked'>) =>
    check(z.strictObject({ findings: counts, checked: counts }), value, 'counts'),
  observation: (value: FindingObservation): FindingObservation =>
    check(observation, value, 'finding'),
  findingStatus: (value: unknown): 'open' | 'all' =>
    check(z.enum(['open', 'all']), value, 'status'),
  tenantId: (value: unknown): string => check(tenantId, value, 'tenantId'),
  tenant: (value: Tenant): Tenant => check(tenant, value, 'tenant'),
  apiKey: (value: ApiKeyRecord): ApiKeyRecord => check(apiKey, value, 'api key'),
  keyId: (value: unknown): string =>
    check(z.string().regex(/^key_[0-9a-f]{16}$/, 'a key id'), value, 'keyId'),
  auditEvent: (value: AuditEvent): AuditEvent => check(auditEvent, value, 'audit event'),
  auditSubject: (value: unknown): string => check(auditSubject, value, 'subject'),
  /** A rate-limit bucket (a key) and its window number (a whole number ≥ 0). */
  rateLimitHit: (bucket: unknown, window: unknown): { bucket: string; window: number } =>
    check(
      z.strictObject({
        bucket: keySchema,
        window: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      }),
      { bucket, window },
      'rate limit',
    ),
  pageLimit: (value: unknown): number =>
    check(z.number().int().min(1).max(100).default(20), value, 'limit'),
} as const;
