import { createAstraDataStore } from './astra/astra-data-store';
import { createCassandraDataStore } from './cassandra/cassandra-data-store';
import type { RepositoryConfig } from './config';
import type { DataStore } from './data-store';

/**
 * Connects to the backend `config` names.
 *
 * @example
 * ```ts
 * const parsed = repositoryConfigFromEnv(process.env);
 * if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
 * const store = createDataStore(parsed.config);
 * await store.ping();
 * ```
 */
export function createDataStore(config: RepositoryConfig): DataStore {
  return config.backend === 'astra'
    ? createAstraDataStore(config)
    : createCassandraDataStore(config);
}
