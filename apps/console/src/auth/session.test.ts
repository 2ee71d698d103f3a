import { apiKeyProblem, createKeyStore } from './session';

/** An in-memory Storage, as sessionStorage behaves. */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

describe('the key store', () => {
  it('keeps the key in session storage, so a reload of the tab keeps it, and forgets it on sign-out', () => {
    const storage = memoryStorage();
    const store = createKeyStore(storage);
    expect(store.get()).toBeNull();
    store.set('isk_abc.secret');
    expect(storage.items.get('invincible.console.apiKey')).toBe('isk_abc.secret');
    expect(createKeyStore(storage).get()).toBe('isk_abc.secret');
    store.clear();
    expect(storage.items.size).toBe(0);
    expect(store.get()).toBeNull();
  });

  it('tells its listeners, and keeps working in memory when storage refuses', () => {
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const store = createKeyStore(refusing);
    const changes: (string | null)[] = [];
    const unsubscribe = store.subscribe(() => changes.push(store.get()));
    store.set('k1');
    store.clear();
    unsubscribe();
    store.set('k2');
    expect(changes).toEqual(['k1', null]);
    expect(store.get()).toBe('k2');
  });
});

describe('apiKeyProblem', () => {
  it('accepts what an Authorization header can carry, and says what is wrong otherwise', () => {
    expect(apiKeyProblem('  isk_0123.abcdef  ')).toBeNull();
    expect(apiKeyProblem('')).toBe('Enter an API key.');
    expect(apiKeyProblem('two words')).toMatch(/no spaces/);
    expect(apiKeyProblem('é')).toMatch(/no spaces or special characters/);
    expect(apiKeyProblem('x'.repeat(2049))).toMatch(/longer/);
  });
});
