import type { CassandraRepositoryConfig } from '../config';
import { describeRepositoryContract } from '../testing/repository-contract';
import { createCassandraClient } from './client';
import { createCassandraRepository } from './cassandra-repository';

/** The shared test Cassandra, with a keyspace of this suite's own, dropped afterwards. */
export function testCassandraConfig(keyspace: string): CassandraRepositoryConfig {
  const contactPoint = process.env['INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'];
  if (!contactPoint)
    throw new Error('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS is not set: run through `npm test`.');
  return {
    backend: 'cassandra',
    contactPoints: contactPoint.split(','),
    localDataCenter: process.env['INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1',
    keyspace,
    replicationFactor: 1,
  };
}

describeRepositoryContract('cassandra (CQL)', async () => {
  const config = testCassandraConfig(`contract_${Date.now().toString(36)}`);
  const repo = createCassandraRepository(config);
  await repo.migrate();
  return {
    repo,
    close: async () => {
      const admin = createCassandraClient(config);
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await repo.close();
    },
  };
});

describe('cassandra schema migration', () => {
  it('is safe when several processes migrate one keyspace at once, and idempotent after', async () => {
    const config = testCassandraConfig(`migrate_${Date.now().toString(36)}`);
    const repos = Array.from({ length: 4 }, () => createCassandraRepository(config));
    try {
      const results = await Promise.all(repos.map((r) => r.migrate()));
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      expect(await repos[0]?.migrate()).toEqual({ applied: false });
      await expect(repos[1]?.customers.get('nobody')).rejects.toThrow('not found');
    } finally {
      const admin = createCassandraClient(config);
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await Promise.all(repos.map((r) => r.close()));
    }
  }, 120_000);
});

describe('cassandra listings', () => {
  it('skip an index row whose main row is missing, instead of answering 404', async () => {
    const config = testCassandraConfig(`orphans_${Date.now().toString(36)}`);
    const repo = createCassandraRepository(config);
    const admin = createCassandraClient(config);
    try {
      await repo.migrate();
      const ks = config.keyspace;
      // What a writer that died between its two writes leaves: the index rows only.
      await admin.execute(
        `INSERT INTO ${ks}.subscriptions_by_customer (customer_id, subscription_id) VALUES ('c1', 'sub_orphan')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.coupons_by_customer (customer_id, coupon_id) VALUES ('c1', 'c1:1')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.outbox_by_customer (customer_id, created_at, id) VALUES ('c1', toTimestamp(now()), 'mail_orphan')`,
      );
      await expect(repo.subscriptions.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
      await expect(repo.coupons.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
      await expect(repo.outbox.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await repo.close();
    }
  }, 120_000);
});

describe('outbox retention', () => {
  it("makes OUTBOX_RETENTION_DAYS the outbox tables' TTL, and changes it when the setting does", async () => {
    const base = testCassandraConfig(`retention_${Date.now().toString(36)}`);
    const admin = createCassandraClient(base);
    const ttlOf = async (table: string) =>
      Number(
        (
          await admin.execute(
            'SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
            [base.keyspace, table],
          )
        ).first()?.['default_time_to_live'],
      );
    const kept = createCassandraRepository({ ...base, outboxRetentionDays: 30 });
    try {
      await kept.migrate();
      expect([await ttlOf('outbox'), await ttlOf('outbox_by_customer')]).toEqual([
        2_592_000, 2_592_000,
      ]);
      await kept.outbox.enqueue({
        id: 'mail_1',
        customerId: 'c1',
        to: 'ada@example.com',
        template: 'receipt',
        subject: 'Receipt',
        body: 'We charged 1.00 USD.',
        status: 'pending',
        createdAt: new Date(),
        sentAt: null,
      });
      const ttl = (
        await admin.execute(
          `SELECT TTL(body) AS ttl FROM ${base.keyspace}.outbox WHERE id = 'mail_1'`,
        )
      ).first()?.['ttl'] as number;
      expect(ttl).toBeGreaterThan(2_590_000);
      // The setting removed: kept again from then on.
      const forever = createCassandraRepository(base);
      await forever.migrate();
      expect(await ttlOf('outbox')).toBe(0);
      await forever.close();
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${base.keyspace}`);
      await admin.shutdown();
      await kept.close();
    }
  }, 120_000);
});
