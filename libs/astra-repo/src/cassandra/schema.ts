import type { Client, types } from 'cassandra-driver';
import type { CassandraRepositoryConfig } from '../config';
import { UnavailableError } from '../errors';
import { tenantOf } from '../model/tenancy';

type Row = types.Row;

/** The business tables as first released. Every statement is idempotent (`IF NOT EXISTS`). */
const V1_TABLES: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS customers (
     id text PRIMARY KEY, email text, name text, created_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS subscriptions (
     id text PRIMARY KEY, customer_id text, status text, price_minor bigint, currency text,
     interval_unit text, interval_count int, anchor_at timestamp, time_zone text,
     next_charge_at timestamp, periods_billed int, canceled_at timestamp,
     cancel_effective_at timestamp, cancel_reason text, paused_at timestamp,
     version bigint, updated_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS subscriptions_by_customer (
     customer_id text, subscription_id text, PRIMARY KEY ((customer_id), subscription_id))`,
  `CREATE TABLE IF NOT EXISTS charges (
     subscription_id text, period int, attempt int, customer_id text, amount_minor bigint,
     currency text, outcome text, provider_ref text, failure_code text, occurred_at timestamp,
     PRIMARY KEY ((subscription_id), period, attempt))`,
  `CREATE TABLE IF NOT EXISTS payments (
     idempotency_key text PRIMARY KEY, customer_id text, amount_minor bigint, currency text,
     payment_method text, status text, provider_ref text, decline_code text, created_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS loyalty_accounts (
     customer_id text PRIMARY KEY, balance bigint, lifetime_points bigint, coupons_issued bigint,
     coupons_redeemed bigint, version bigint, updated_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS processed_purchases (
     purchase_id text PRIMARY KEY, customer_id text, total_minor bigint, currency text,
     points bigint, processed_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS coupons (
     id text PRIMARY KEY, customer_id text, value_minor bigint, currency text, status text,
     issued_at timestamp, redeemed_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS coupons_by_customer (
     customer_id text, coupon_id text, PRIMARY KEY ((customer_id), coupon_id))`,
  `CREATE TABLE IF NOT EXISTS outbox (
     id text PRIMARY KEY, customer_id text, recipient text, template text, subject text,
     body text, status text, created_at timestamp, sent_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS outbox_by_customer (
     customer_id text, created_at timestamp, id text,
     PRIMARY KEY ((customer_id), created_at, id)) WITH CLUSTERING ORDER BY (created_at DESC, id ASC)`,
];

/**
 * Billing (issue #13): a permanent delivery failure is recorded on the outbox row, and pending
 * emails are indexed for the delivery loop (one partition: the backlog is small, as delivery runs
 * continuously; the row is deleted once the email is sent or failed).
 */
const V3_BILLING: readonly string[] = [
  'ALTER TABLE outbox ADD IF NOT EXISTS failure text',
  `CREATE TABLE IF NOT EXISTS outbox_pending (
     shard int, id text, PRIMARY KEY ((shard), id))`,
];

/**
 * Reconciliation (issue #14): its runs, the latest finished run (one row), one row per finding
 * across runs, and the open findings indexed in one partition (drift is rare; a finding leaves
 * the index when a run no longer sees it).
 */
const V4_RECONCILIATION: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS reconciliation_runs (
     id text PRIMARY KEY, status text, started_at timestamp, finished_at timestamp,
     findings map<text, bigint>, checked map<text, bigint>)`,
  `CREATE TABLE IF NOT EXISTS reconciliation_latest (
     scope text PRIMARY KEY, run_id text, finished_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS reconciliation_findings (
     finding_key text PRIMARY KEY, kind text, subject_id text, customer_id text, expected text,
     actual text, status text, first_seen_at timestamp, last_seen_at timestamp,
     first_run_id text, last_run_id text)`,
  `CREATE TABLE IF NOT EXISTS reconciliation_open (
     shard int, finding_key text, PRIMARY KEY ((shard), finding_key))`,
];

/**
 * Tenancy (issue #15): tenants, API keys (hashed; found by id on authentication, listed by
 * tenant), and the audit log of writes per tenant, newest first. `audit_event_ids` makes an event
 * unique by (tenant, id) with a lightweight transaction, and pins its time, so a retried write is
 * logged once under the time it was first logged.
 */
const V5_TENANCY: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS tenants (
     id text PRIMARY KEY, name text, test boolean, max_active_subscriptions int,
     max_loyalty_programs int, created_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS api_keys (
     id text PRIMARY KEY, tenant_id text, name text, role text, permissions list<text>,
     secret_hash text, created_at timestamp, expires_at timestamp, revoked_at timestamp)`,
  `CREATE TABLE IF NOT EXISTS api_keys_by_tenant (
     owner text, created_at timestamp, id text, PRIMARY KEY ((owner), created_at, id))`,
  `CREATE TABLE IF NOT EXISTS audit_event_ids (
     tenant_id text, id text, at timestamp, PRIMARY KEY ((tenant_id), id))`,
  `CREATE TABLE IF NOT EXISTS audit_events (
     tenant_id text, at timestamp, id text, actor text, action text, resource text,
     request_id text, status int,
     PRIMARY KEY ((tenant_id), at, id)) WITH CLUSTERING ORDER BY (at DESC, id ASC)`,
];

/**
 * Rate limits shared by API replicas (issue #15): hit counters per (bucket, window), one partition
 * each, so the hot bucket of one API key spreads over the ring window by window. Counters, not
 * LWTs: an increment is one write (a read-before-write on the leader replica) with no Paxos round
 * and no contention retries, whatever the number of replicas hitting the same key. Counter tables
 * take no TTL; the limiter deletes a bucket's window two steps back when it opens a new one.
 */
const V6_RATE_LIMITS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS rate_limits (
     bucket text, window_no bigint, hits counter, PRIMARY KEY ((bucket, window_no)))`,
];

/**
 * Listings by tenant for the operator console (issue #18): a tenant's customers and subscriptions,
 * one partition per tenant, clustered by id. Written before the entity's own row (a reader skips
 * a listing row whose entity is missing), so nothing is stored unlisted; `backfillTenantListings`
 * lists what was stored before these tables existed.
 */
const V7_TENANT_LISTINGS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS customers_by_tenant (
     tenant_id text, customer_id text, PRIMARY KEY ((tenant_id), customer_id))`,
  `CREATE TABLE IF NOT EXISTS subscriptions_by_tenant (
     tenant_id text, subscription_id text, PRIMARY KEY ((tenant_id), subscription_id))`,
];

/**
 * A subject's history for the operator console (issue #18): the audit events about one thing
 * (e.g. `subscription:sub_1`), newest first, one partition per (tenant, subject), a full copy of
 * each event. Written before the event's own row in `audit_events`, whose presence marks the
 * event complete. No backfill: events logged before this step have no subject.
 */
const V8_AUDIT_BY_SUBJECT: readonly string[] = [
  'ALTER TABLE audit_events ADD IF NOT EXISTS subject text',
  `CREATE TABLE IF NOT EXISTS audit_by_subject (
     tenant_id text, subject text, at timestamp, id text, actor text, action text,
     resource text, request_id text, status int,
     PRIMARY KEY ((tenant_id, subject), at, id)) WITH CLUSTERING ORDER BY (at DESC, id ASC)`,
];

/** What a step's backfill runs statements with, and how it keeps the migration lease. */
export interface BackfillContext {
  /** Runs a prepared statement (`{ks}` is the keyspace). */
  execute(
    cql: string,
    params?: unknown[],
    options?: { fetchSize?: number; pageState?: string },
  ): Promise<{ rows: Row[]; pageState: string | undefined }>;
  /** Extends the lease: a long backfill calls it between pages. */
  renewLease(): Promise<void>;
}

/** Rows a backfill reads per page, and writes at once. */
const BACKFILL_PAGE = 500;
const BACKFILL_WRITES = 32;

/**
 * Lists every customer and subscription stored before v7 under its tenant: a full scan of both
 * tables (ids without a tenant are listed nowhere). Upserts of the same key, so a backfill that
 * died half-way is simply run again.
 */
async function backfillTenantListings(ctx: BackfillContext): Promise<void> {
  for (const [table, listing, column] of [
    ['customers', 'customers_by_tenant', 'customer_id'],
    ['subscriptions', 'subscriptions_by_tenant', 'subscription_id'],
  ] as const) {
    let pageState: string | undefined;
    do {
      const page = await ctx.execute(`SELECT id FROM {ks}.${table}`, [], {
        fetchSize: BACKFILL_PAGE,
        ...(pageState ? { pageState } : {}),
      });
      const listed = page.rows
        .map((r) => String(r['id']))
        .flatMap((id) => {
          const tenant = tenantOf(id);
          return tenant === null ? [] : [[tenant, id] as const];
        });
      for (let i = 0; i < listed.length; i += BACKFILL_WRITES) {
        await Promise.all(
          listed
            .slice(i, i + BACKFILL_WRITES)
            .map(([tenant, id]) =>
              ctx.execute(`INSERT INTO {ks}.${listing} (tenant_id, ${column}) VALUES (?, ?)`, [
                tenant,
                id,
              ]),
            ),
        );
      }
      await ctx.renewLease();
      pageState = page.pageState;
    } while (pageState);
  }
}

/**
 * The schema's history: each step is applied once, in order, and marked done in
 * `schema_migrations` under its id. Never edit a released step; append a new one. Each statement
 * is idempotent (`IF NOT EXISTS`), so a step interrupted half-way is simply run again; so is a
 * step's `backfill`, which runs after its statements (data written by a release before the step).
 */
export const MIGRATIONS: readonly {
  readonly id: string;
  readonly statements: readonly string[];
  readonly backfill?: (ctx: BackfillContext) => Promise<void>;
}[] = [
  { id: 'v1', statements: V1_TABLES },
  {
    // The points ledger per customer (the source of truth for points, one id space per source),
    // and who redeemed a coupon (so a retried redemption is told from a second one).
    id: 'v2',
    statements: [
      `CREATE TABLE IF NOT EXISTS purchase_ledger (
         customer_id text, source text, purchase_id text, total_minor bigint, currency text,
         points bigint, processed_at timestamp, counted_by text, request_id text,
         balance_after bigint, coupons_issued list<text>,
         PRIMARY KEY ((customer_id), source, purchase_id))`,
      `ALTER TABLE coupons ADD IF NOT EXISTS redeemed_by text`,
    ],
  },
  { id: 'v3-billing', statements: V3_BILLING },
  { id: 'v4-reconciliation', statements: V4_RECONCILIATION },
  { id: 'v5-tenancy', statements: V5_TENANCY },
  // v5 is the tenancy work's (issue #15); this step is numbered after it.
  { id: 'v6-rate-limits', statements: V6_RATE_LIMITS },
  { id: 'v7-tenant-listings', statements: V7_TENANT_LISTINGS, backfill: backfillTenantListings },
  { id: 'v8-audit-by-subject', statements: V8_AUDIT_BY_SUBJECT },
];

/** The id of the newest step: a keyspace marked with it is up to date. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.id ?? 'v1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the keyspace (not on Astra, whose keyspaces are made in its console) and the tables.
 * Safe when several processes start at once: one takes a lease with a lightweight transaction
 * and applies the DDL (concurrent schema changes can disagree in Cassandra), the others wait for
 * the version marker it writes.
 */
export async function migrateCassandra(
  client: Client,
  config: CassandraRepositoryConfig,
  options: { readonly timeoutMs?: number } = {},
): Promise<{ applied: boolean }> {
  const ks = config.keyspace; // validated as an identifier by the config parser
  if (!config.secureConnectBundle) {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${config.localDataCenter}': ${config.replicationFactor}}`,
    );
  }
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (id text PRIMARY KEY, owner text, applied_at timestamp)`,
  );
  const done = async () =>
    (await client.execute(`SELECT id FROM ${ks}.schema_migrations WHERE id = ?`, [SCHEMA_VERSION]))
      .rowLength > 0;
  if (await done()) return { applied: false };

  const owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const lease = await client.execute(
      `INSERT INTO ${ks}.schema_migrations (id, owner) VALUES ('lock', ?) IF NOT EXISTS USING TTL 60`,
      [owner],
    );
    if (lease.wasApplied()) break;
    if (await done()) return { applied: false };
    if (Date.now() > deadline)
      throw new UnavailableError(
        'cassandra',
        'timed out waiting for another process to migrate the schema',
      );
    await sleep(500);
  }
  try {
    if (await done()) return { applied: false };
    for (const step of MIGRATIONS) {
      const marked = await client.execute(`SELECT id FROM ${ks}.schema_migrations WHERE id = ?`, [
        step.id,
      ]);
      if (marked.rowLength > 0) continue;
      for (const ddl of step.statements) {
        await client.execute(
          ddl.replace(/^(CREATE TABLE IF NOT EXISTS|ALTER TABLE) /, `$1 ${ks}.`),
        );
      }
      if (step.backfill) await step.backfill(backfillContext(client, ks, owner));
      await client.execute(
        `INSERT INTO ${ks}.schema_migrations (id, owner, applied_at) VALUES (?, ?, ?)`,
        [step.id, owner, new Date()],
      );
    }
    return { applied: true };
  } finally {
    await client.execute(`DELETE FROM ${ks}.schema_migrations WHERE id = 'lock' IF owner = ?`, [
      owner,
    ]);
  }
}

/** Statements for a backfill in `ks`, and the renewal of `owner`'s lease (60 s more each time). */
function backfillContext(client: Client, ks: string, owner: string): BackfillContext {
  return {
    async execute(cql, params = [], options = {}) {
      const result = await client.execute(cql.replaceAll('{ks}', ks), params, {
        prepare: true,
        ...options,
      });
      return { rows: result.rows, pageState: result.pageState ?? undefined };
    },
    async renewLease() {
      // Best effort: a lease lost all the same only lets a waiting process run the same
      // idempotent backfill alongside this one.
      await client.execute(
        `UPDATE ${ks}.schema_migrations USING TTL 60 SET owner = ? WHERE id = 'lock' IF owner = ?`,
        [owner, owner],
      );
    },
  };
}

/** The tables that hold an email's recipient and body. */
const OUTBOX_TABLES = ['outbox', 'outbox_by_customer'] as const;

/**
 * Makes the outbox tables' `default_time_to_live` the configured retention (0 — keep — when
 * unset). A deployment setting, not a schema step: checked on every start and altered only when
 * it differs; it applies to writes from then on (rows already written keep theirs).
 */
export async function applyOutboxRetention(
  client: Client,
  config: CassandraRepositoryConfig,
): Promise<void> {
  const wanted = (config.outboxRetentionDays ?? 0) * 86_400;
  for (const table of OUTBOX_TABLES) {
    const row = (
      await client.execute(
        'SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
        [config.keyspace, table],
      )
    ).first();
    if (row && Number(row['default_time_to_live']) !== wanted)
      await client.execute(
        `ALTER TABLE ${config.keyspace}.${table} WITH default_time_to_live = ${wanted}`,
      );
  }
}
