/** Test doubles and the contract suite; never imported by production code. */
export { createInMemoryRepository } from './memory/in-memory-repository';
export { exampleSubscription } from './fixtures';
export type { InMemoryRepository } from './memory/in-memory-repository';
/** The CQL adapter's versioned tables and their values, for `bench:ledger`'s "before" sequence. */
export {
  accountValues,
  LOYALTY_ACCOUNTS,
  SUBSCRIPTIONS,
  subscriptionValues,
} from './cassandra/versioned';
/** An in-process Data API (self-managed rules, pinned to recorded answers) as an astra-db-ts fetcher. */
export { createDataApiEmulator } from './astra/data-api-emulator';
export type { DataApiEmulator, DataApiEmulatorOptions } from './astra/data-api-emulator';
export { serveDataApi } from './astra/data-api-server';
