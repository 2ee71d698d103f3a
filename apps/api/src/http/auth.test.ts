import { expiringCache } from './auth';

describe('the key cache', () => {
  it('keeps an entry for its TTL, nothing with a TTL of 0, and at most `max` entries', () => {
    let t = 0;
    const cache = expiringCache<string>(1_000, 2, () => t);
    cache.set('a', 'A');
    t = 999;
    expect(cache.get('a')).toBe('A');
    t = 1_000;
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.set('c', 'C');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
    const none = expiringCache<string>(0, 10, () => t);
    none.set('a', 'A');
    expect(none.get('a')).toBeUndefined();
  });
});
