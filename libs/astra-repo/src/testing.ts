import type { DataStore } from './data-store';
import { UnavailableError } from './errors';

/** An in-memory `DataStore` whose availability a test switches: a double for unit tests only. */
export interface InMemoryDataStore extends DataStore {
  setAvailable(available: boolean): void;
}

/** Creates the in-memory test double; it starts available. */
export function createInMemoryDataStore(): InMemoryDataStore {
  let available = true;
  let closed = false;
  return {
    backend: 'in-memory',
    setAvailable(value) {
      available = value;
    },
    ping() {
      if (closed) return Promise.reject(new UnavailableError('in-memory', 'closed'));
      return available
        ? Promise.resolve()
        : Promise.reject(new UnavailableError('in-memory', 'switched off by the test'));
    },
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
