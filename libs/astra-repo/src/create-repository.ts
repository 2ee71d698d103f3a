import { createAstraRepository } from './astra/astra-repository';
import { createCassandraRepository } from './cassandra/cassandra-repository';
import type { RepositoryConfig } from './config';
import type { Repository } from './ports/repository';

/** A repository that can also create or upgrade its own schema (keyspace, tables / collections). */
export interface MigratableRepository extends Repository {
  /** Idempotent and safe when several processes run it at once. */
  migrate(): Promise<{ applied: boolean }>;
}

/**
 * Connects to the backend `config` names. Connections open lazily on first use.
 *
 * @example
 * ```ts
 * const parsed = repositoryConfigFromEnv(process.env);
 * if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
 * const repo = createRepository(parsed.config);
 * await repo.migrate();
 * const { record, created } = await repo.customers.create(customer);
 * ```
 */
export function createRepository(config: RepositoryConfig): MigratableRepository {
  return config.backend === 'astra'
    ? createAstraRepository(config)
    : createCassandraRepository(config);
}
