import { DataAPIClient, UsernamePasswordTokenProvider, type Db } from '@datastax/astra-db-ts';
import type { AstraRepositoryConfig } from '../config';

/**
 * Opens the Data API database for `config`. astra-db-ts 2.x retries nothing itself, so every
 * request carries an explicit timeout and the adapter decides what to retry.
 */
export function openAstraDb(config: AstraRepositoryConfig): { client: DataAPIClient; db: Db } {
  const token =
    'token' in config.auth
      ? config.auth.token
      : new UsernamePasswordTokenProvider(config.auth.username, config.auth.password);
  const client = new DataAPIClient(token, {
    environment: config.environment,
    ...(config.fetcher
      ? { httpOptions: { client: 'custom' as const, fetcher: config.fetcher } }
      : {}),
    timeoutDefaults: { requestTimeoutMs: 10_000, generalMethodTimeoutMs: 15_000 },
  });
  return { client, db: client.db(config.endpoint, { keyspace: config.keyspace }) };
}
