/**
 * `npm run bench:ledger`: what idempotency costs on Cassandra. In one run against one Cassandra
 * (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042 — `npm run stack -- up --only cassandra`),
 * it times N sequential inserts of each kind into tables of the same shape and prints p50 / p99
 * and their ratios:
 *   - idempotent: `charges.record` (INSERT … IF NOT EXISTS, a lightweight transaction);
 *   - replay: the same keys again (the already-recorded path Temporal retries take);
 *   - plain: a single-row INSERT without a condition (last write wins).
 * It works in a throw-away keyspace, dropped at the end. N is BENCH_N (default 2000, max 20000).
 */
import {
  createRepository,
  repositoryConfigFromEnv,
  type CassandraRepositoryConfig,
  type ChargeEntry,
} from '@invincible/astra-repo';
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
  } finally {
    await cql.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`).catch(() => undefined);
    await Promise.allSettled([cql.shutdown(), repo.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
