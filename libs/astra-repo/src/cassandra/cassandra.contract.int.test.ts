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
