export type { AstraRepositoryConfig, CassandraRepositoryConfig, RepositoryConfig } from './config';
export type { DataStore } from './data-store';
export { repositoryConfigFromEnv, repositoryEnvSchema } from './config-from-env';
export { createDataStore } from './create-data-store';
export {
  ConflictError,
  NotFoundError,
  RepositoryError,
  UnavailableError,
  ValidationError,
} from './errors';
