import { auth, Client, types } from 'cassandra-driver';
import type { CassandraRepositoryConfig } from '../config';

/**
 * Creates the driver client for `config`: LOCAL_QUORUM reads and writes, LOCAL_SERIAL for
 * lightweight transactions, prepared statements. The connection opens on first use.
 */
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
