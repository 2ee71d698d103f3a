/**
 * `npm run bench:ledger`: what idempotency costs on Cassandra. In one run against one Cassandra
 * (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042 — `npm run stack -- up --only cassandra`),
 * it times N sequential inserts of each kind into tables of the same shape and prints p50 / p99
 * and their ratios:
 *   - idempotent: `charges.record` (INSERT … IF NOT EXISTS, a lightweight transaction);
 *   - replay: the same keys again (the already-recorded path Temporal retries take);
 *   - plain: a single-row INSERT without a condition (last write wins).
 * and then what a projection save and a purchase cost, before and after issue #16 (interleaved,
 * one op of each in turn, so both see the same machine):
 *   - projection save: `subscriptions.save` of 100 subscriptions × N/100 versions, each over the
 *     one before, as the billing workflow saves them. "before" is the statement sequence the
 *     adapter used to send (INSERT … IF NOT EXISTS, then UPDATE … IF version < ?, nulls bound),
 *     kept here to measure against; "after" is the repository's;
 *   - purchase: one purchase counted alone, as the loyalty activities do it — `purchases.find`
 *     (a serial read), `purchases.record` (IF NOT EXISTS), then the account's versioned save.
 * Each prints its Paxos rounds per op (conditional statements + LOCAL_SERIAL reads, counted on the
 * driver) and p50 / p99. It works in a throw-away keyspace, dropped at the end. N is BENCH_N
 * (default 2000, max 20000).
 */
import {
  createRepository,
  repositoryConfigFromEnv,
  type CassandraRepositoryConfig,
  type ChargeEntry,
  type LoyaltyAccount,
  type SubscriptionProjection,
} from '@invincible/astra-repo';
import {
  accountValues,
  exampleSubscription,
  LOYALTY_ACCOUNTS,
  SUBSCRIPTIONS,
  subscriptionValues,
} from '@invincible/astra-repo/testing';
import { Client, types } from 'cassandra-driver';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function time(
  n: number,
  op: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await op(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * Counts the Paxos rounds every driver client in this process sends: conditional statements
 * (` IF `) and LOCAL_SERIAL / SERIAL reads. The bench's own process only; the library is unchanged.
 */
const paxos = { rounds: 0 };
const execute = Reflect.get(Client.prototype, 'execute') as (
  this: Client,
  ...args: unknown[]
) => unknown;
Reflect.set(Client.prototype, 'execute', function (this: Client, ...args: unknown[]) {
  const [query, , options] = args as [unknown, unknown, { consistency?: number } | undefined];
  const serial =
    options?.consistency === types.consistencies.localSerial ||
    options?.consistency === types.consistencies.serial;
  if (typeof query === 'string' && (/ IF /.test(query) || serial)) paxos.rounds++;
  return execute.apply(this, args);
});

interface Timing {
  readonly p50: number;
  readonly p99: number;
  /** Paxos rounds per op. */
  readonly rounds: number;
}

/** Times two ops interleaved (op 0 of each, then op 1 of each…), counting each one's Paxos rounds. */
async function interleaved(
  n: number,
  before: (i: number) => Promise<unknown>,
  after: (i: number) => Promise<unknown>,
): Promise<[Timing, Timing]> {
  const run = async (op: (i: number) => Promise<unknown>, i: number, samples: number[]) => {
    const rounds = paxos.rounds;
    const start = process.hrtime.bigint();
    await op(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    return paxos.rounds - rounds;
  };
  const samples: [number[], number[]] = [[], []];
  const rounds: [number, number] = [0, 0];
  for (let i = 0; i < n; i++) {
    rounds[0] += await run(before, i, samples[0]);
    rounds[1] += await run(after, i, samples[1]);
  }
  const timing = (s: number[], r: number): Timing => {
    s.sort((a, b) => a - b);
    return { p50: percentile(s, 50), p99: percentile(s, 99), rounds: r / n };
  };
  return [timing(samples[0], rounds[0]), timing(samples[1], rounds[1])];
}

async function main(): Promise<void> {
  const n = Math.min(Number(process.env['BENCH_N'] ?? 2000), 20_000);
  const parsed = repositoryConfigFromEnv({
    ...process.env,
    CASSANDRA_KEYSPACE: `bench_${Date.now().toString(36)}`,
    ASTRA_DB_API_ENDPOINT: '',
  });
  if (!parsed.ok || parsed.config.backend !== 'cassandra')
    throw new Error(parsed.ok ? 'needs Cassandra' : parsed.issues.join('\n'));
  const config: CassandraRepositoryConfig = parsed.config;
  const repo = createRepository(config);
  const cql = new Client({
    contactPoints: [...config.contactPoints],
    localDataCenter: config.localDataCenter,
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
    },
  });
  try {
    await repo.migrate();
    await cql.execute(`CREATE TABLE ${config.keyspace}.charges_plain (subscription_id text, period int, attempt int, customer_id text,
      amount_minor bigint, currency text, outcome text, provider_ref text, failure_code text, occurred_at timestamp,
      PRIMARY KEY ((subscription_id), period, attempt))`);
    const entry = (i: number): ChargeEntry => ({
      subscriptionId: `sub-${i % 100}`,
      period: Math.floor(i / 100) + 1,
      attempt: 1,
      customerId: 'cus-bench',
      amount: { amountMinor: 1999, currency: 'USD' },
      outcome: 'succeeded',
      providerRef: `ch_${i}`,
      failureCode: null,
      occurredAt: new Date(),
    });
    const plain = (e: ChargeEntry) =>
      cql.execute(
        `INSERT INTO ${config.keyspace}.charges_plain (subscription_id, period, attempt, customer_id, amount_minor, currency, outcome,
           provider_ref, failure_code, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.subscriptionId,
          e.period,
          e.attempt,
          e.customerId,
          types.Long.fromNumber(e.amount.amountMinor),
          e.amount.currency,
          e.outcome,
          e.providerRef,
          e.failureCode,
          e.occurredAt,
        ],
        { prepare: true, consistency: types.consistencies.localQuorum },
      );
    // Warm up connections, prepared statements and the JIT on a separate key range.
    for (let i = 0; i < 200; i++) {
      await repo.charges.record({ ...entry(i), subscriptionId: 'warm' });
      await plain({ ...entry(i), subscriptionId: 'warm' });
    }
    const idem = await time(n, (i) => repo.charges.record(entry(i)));
    const replay = await time(n, (i) => repo.charges.record(entry(i)));
    const base = await time(n, (i) => plain(entry(i)));
    const row = (name: string, r: { p50: number; p99: number }) =>
      `${name.padEnd(34)} p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms`;
    console.log(
      `ledger insert, ${n} sequential ops each, Cassandra ${config.contactPoints.join(',')}`,
    );
    console.log(row('plain INSERT', base));
    console.log(row('idempotent record (IF NOT EXISTS)', idem));
    console.log(row('replayed record (already stored)', replay));
    console.log(
      `ratio idempotent/plain: p50 ${(idem.p50 / base.p50).toFixed(2)}×, p99 ${(idem.p99 / base.p99).toFixed(2)}×`,
    );
    console.log(
      `ratio replay/plain:     p50 ${(replay.p50 / base.p50).toFixed(2)}×, p99 ${(replay.p99 / base.p99).toFixed(2)}×`,
    );

    // Projection saves and purchases, the statement sequence before issue #16 against today's.
    const ks = config.keyspace;
    /** The adapter's versioned save as it was: INSERT IF NOT EXISTS, then UPDATE IF version <. */
    const saveBefore = async (table: typeof SUBSCRIPTIONS, id: string, values: unknown[]) => {
      const { name, key, columns } = table;
      const all = [...columns, key];
      const version = values[columns.indexOf('version')];
      const inserted = await cql.execute(
        `INSERT INTO ${ks}.${name} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')}) IF NOT EXISTS`,
        [...values, id],
      );
      if (inserted.wasApplied()) return;
      const updated = await cql.execute(
        `UPDATE ${ks}.${name} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE ${key} = ? IF version < ?`,
        [...values, id, version],
      );
      if (updated.wasApplied()) return;
      await cql.execute(`SELECT * FROM ${ks}.${name} WHERE ${key} = ?`, [id], {
        consistency: types.consistencies.localSerial,
      });
    };
    const projection = (id: string, version: number) =>
      exampleSubscription(id, 'cus-bench', version, new Date());
    const saveSubscriptionBefore = async (p: SubscriptionProjection) => {
      await cql.execute(
        `INSERT INTO ${ks}.subscriptions_by_customer (customer_id, subscription_id) VALUES (?, ?)`,
        [p.customerId, p.id],
      );
      await saveBefore(SUBSCRIPTIONS, p.id, subscriptionValues(p));
    };
    const account = (customerId: string, version: number): LoyaltyAccount => ({
      customerId,
      balance: version * 10,
      lifetimePoints: version * 10,
      couponsIssued: 0,
      couponsRedeemed: 0,
      version,
      updatedAt: new Date(),
    });
    const saveAccountBefore = (a: LoyaltyAccount) =>
      saveBefore(LOYALTY_ACCOUNTS, a.customerId, accountValues(a));
    /** One purchase counted alone: find, record, then the account saved at its next version. */
    const purchase = async (
      customerId: string,
      i: number,
      saveAccount: (a: LoyaltyAccount) => Promise<unknown>,
    ) => {
      const key = { source: 'purchase' as const, purchaseId: `p-${i}` };
      await repo.purchases.find(customerId, [key]);
      await repo.purchases.record({
        customerId,
        ...key,
        total: { amountMinor: 1000, currency: 'USD' },
        points: 10,
        processedAt: new Date(),
        countedBy: `batch-${i}`,
        requestId: null,
        balanceAfter: (i + 1) * 10,
        couponsIssued: [],
      });
      await saveAccount(account(customerId, Math.floor(i / 100) + 1));
    };
    const version = (i: number) => Math.floor(i / 100);
    for (let i = 0; i < 200; i++) {
      await saveSubscriptionBefore(projection(`warm-before-${i % 100}`, version(i)));
      await repo.subscriptions.save(projection(`warm-after-${i % 100}`, version(i)));
    }
    const [saveOld, saveNew] = await interleaved(
      n,
      (i) => saveSubscriptionBefore(projection(`sub-before-${i % 100}`, version(i))),
      (i) => repo.subscriptions.save(projection(`sub-after-${i % 100}`, version(i))),
    );
    const [buyOld, buyNew] = await interleaved(
      n,
      (i) => purchase(`cus-before-${i % 100}`, i, saveAccountBefore),
      (i) => purchase(`cus-after-${i % 100}`, i, (a) => repo.loyalty.save(a)),
    );
    const rounds = (name: string, r: Timing) =>
      `${row(name, r)}   Paxos rounds/op ${r.rounds.toFixed(2)}`;
    const ratio = (
      label: string,
      a: { p50: number; p99: number },
      b: { p50: number; p99: number },
    ) => `${label} p50 ${(a.p50 / b.p50).toFixed(2)}×, p99 ${(a.p99 / b.p99).toFixed(2)}×`;
    console.log(
      `\nprojection save, ${n} each, 100 subscriptions × ${n / 100} versions, interleaved`,
    );
    console.log(rounds('before: INSERT IF NOT EXISTS, UPDATE', saveOld));
    console.log(rounds('after: subscriptions.save', saveNew));
    console.log(ratio('ratio after/before:    ', saveNew, saveOld));
    console.log(ratio('ratio save after/plain:', saveNew, base));
    console.log(`\npurchase (find + record + account save), ${n} each, interleaved`);
    console.log(rounds('before', buyOld));
    console.log(rounds('after', buyNew));
    console.log(ratio('ratio after/before:    ', buyNew, buyOld));
  } finally {
    await cql.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`).catch(() => undefined);
    await Promise.allSettled([cql.shutdown(), repo.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
