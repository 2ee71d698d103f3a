import type { CassandraRepositoryConfig } from '../config';
import { UnavailableError } from '../errors';
import { createCassandraDataStore } from './cassandra-data-store';

function config(contactPoint: string): CassandraRepositoryConfig {
  return {
    backend: 'cassandra',
    contactPoints: [contactPoint],
    localDataCenter: process.env['INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1',
    keyspace: 'unused',
    replicationFactor: 1,
  };
}

describe('the Cassandra data store, on the real local Cassandra', () => {
  it('answers ping', async () => {
    const contactPoint = process.env['INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'];
    if (!contactPoint)
      throw new Error(
        'INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS is not set: run through `npm test`.',
      );
    const store = createCassandraDataStore(config(contactPoint));
    try {
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable cluster as UnavailableError', async () => {
    const store = createCassandraDataStore(config('127.0.0.1:1'));
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await store.close();
    }
  });
});
