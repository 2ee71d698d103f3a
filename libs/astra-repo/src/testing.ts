/** Test doubles and the contract suite; never imported by production code. */
export { createInMemoryRepository } from './memory/in-memory-repository';
export type { InMemoryRepository } from './memory/in-memory-repository';
