/**
 * A connection to the business database, whichever backend it is. The ports of the repository
 * (customers, subscriptions, ledger, loyalty, outbox) are built on it.
 */
export interface DataStore {
  /** `cassandra` (CQL), `astra` (Data API), or `in-memory` (the unit-test double). */
  readonly backend: 'cassandra' | 'astra' | 'in-memory';
  /** Resolves when the database answers a trivial request; rejects with `UnavailableError`. */
  ping(): Promise<void>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
