/**
 * Where the API key lives while the console is open: in memory, and in the tab's
 * sessionStorage so a reload keeps it (closing the tab forgets it). Never in a URL, a cookie,
 * localStorage or a log line.
 */

const STORAGE_KEY = 'invincible.console.apiKey';

export interface KeyStore {
  readonly get: () => string | null;
  readonly set: (key: string) => void;
  readonly clear: () => void;
  /** Calls `listener` after every change; returns the unsubscribe. */
  readonly subscribe: (listener: () => void) => () => void;
}

/** Storage that may be missing or refuse writes (private modes, disabled storage). */
export function createKeyStore(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null,
): KeyStore {
  const read = () => {
    try {
      return storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      return null;
    }
  };
  let current = read();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return {
    get: () => current,
    set(key) {
      current = key;
      try {
        storage?.setItem(STORAGE_KEY, key);
      } catch {
        // Kept in memory only: a reload will ask again.
      }
      changed();
    },
    clear() {
      current = null;
      try {
        storage?.removeItem(STORAGE_KEY);
      } catch {
        // Nothing stored.
      }
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Why `input` cannot be an API key, or null. The key travels in an HTTP header: printable ASCII
 * without spaces, as the API accepts it.
 */
export function apiKeyProblem(input: string): string | null {
  const key = input.trim();
  if (key === '') return 'Enter an API key.';
  if (key.length > 2048) return 'That is longer than any API key.';
  if (!/^[\x21-\x7e]+$/.test(key))
    return 'An API key has no spaces or special characters: check what was pasted.';
  return null;
}
