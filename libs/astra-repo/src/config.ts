import type { Fetcher } from '@datastax/astra-db-ts';

/** Apache Cassandra, DSE, HCD, or Astra DB over CQL (secure connect bundle). */
export interface CassandraRepositoryConfig {
  readonly backend: 'cassandra';
  readonly contactPoints: readonly string[];
  readonly localDataCenter: string;
  readonly keyspace: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Path of an Astra secure connect bundle; replaces contact points and data center. */
  readonly secureConnectBundle?: string;
  /** Replication of the keyspace when the repository creates it (local and dev clusters). */
  readonly replicationFactor: number;
  /**
   * How long the outbox keeps an email (its recipient and body: personal data), in days; unset
   * keeps them. Applied by `migrate` as the outbox tables' `default_time_to_live`.
   */
  readonly outboxRetentionDays?: number;
}

/** Astra DB, or a self-managed Data API (HCD, DSE, Cassandra), through astra-db-ts. */
export interface AstraRepositoryConfig {
  readonly backend: 'astra';
  readonly endpoint: string;
  readonly keyspace: string;
  readonly environment: 'astra' | 'hcd' | 'dse' | 'cassandra' | 'other';
  /** An Astra application token, or username/password for a self-managed Data API. */
  readonly auth:
    { readonly token: string } | { readonly username: string; readonly password: string };
  /** Test seam: astra-db-ts's custom fetcher, to observe the exact Data API commands sent. */
  readonly fetcher?: Fetcher;
}

export type RepositoryConfig = CassandraRepositoryConfig | AstraRepositoryConfig;
