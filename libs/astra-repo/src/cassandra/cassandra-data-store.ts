import { auth, Client, types } from 'cassandra-driver';
import type { CassandraRepositoryConfig } from '../config';
import type { DataStore } from '../data-store';
import { UnavailableError } from '../errors';

/** Creates the driver client for `config`: LOCAL_QUORUM reads and writes, LOCAL_SERIAL for LWTs. */
export function createCassandraClient(config: CassandraRepositoryConfig): Client {
  return new Client({
    ...(config.secureConnectBundle
      ? { cloud: { secureConnectBundle: config.secureConnectBundle } }
      : { contactPoints: [...config.contactPoints], localDataCenter: config.localDataCenter }),
    ...(config.credentials
      ? {
          authProvider: new auth.PlainTextAuthProvider(
            config.credentials.username,
            config.credentials.password,
          ),
        }
      : {}),
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
    },
    socketOptions: { connectTimeout: 5_000, readTimeout: 12_000 },
  });
}

/** A `DataStore` over CQL. The connection opens lazily on first use and is shared. */
export function createCassandraDataStore(
  config: CassandraRepositoryConfig,
  client = createCassandraClient(config),
): DataStore {
  return {
    backend: 'cassandra',
    async ping() {
      try {
        await client.execute('SELECT release_version FROM system.local');
      } catch (error) {
        throw new UnavailableError(
          'cassandra',
          error instanceof Error ? error.message : String(error),
          { cause: error },
        );
      }
    },
    async close() {
      await client.shutdown();
    },
  };
}
