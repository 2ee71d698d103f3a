import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import pino from 'pino';
import request from 'supertest';
import type { AppDeps } from '../app';
import { auth, T0, testApp } from '../testing/unit-app';
import { createMetrics } from './metrics';
import { slidingWindowDecision } from './rate-limit';

/** Rate limits of issue #15: per API key (shared by replicas) and per address for 401s. */

describe('rate limit per API key: a sliding window shared by replicas', () => {
  let store: InMemoryRepository;
  let clock: number;
  beforeEach(() => {
    store = createInMemoryRepository();
    clock = T0 - (T0 % 60_000); // the start of a minute
  });
  const limited = (overrides: Partial<AppDeps> = {}) =>
    testApp(store, { rateLimitPerMinute: 10, now: () => new Date(clock), ...overrides });
  const get = (app: ReturnType<typeof testApp>) =>
    request(app).get('/v1/customers/nobody').set('Authorization', auth);

  it('lets no more than the limit through across a window boundary (a fixed window lets twice)', async () => {
    // The clock of whatever limiter is inside (Date and timers alike), sockets left real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: clock });
    try {
      const app = testApp(store, { rateLimitPerMinute: 10, now: undefined });
      const statuses: number[] = [];
      statuses.push((await get(app)).status); // one at the start of a minute (a window opens)…
      jest.advanceTimersByTime(59_000); // …nine in its last second…
      for (let i = 0; i < 9; i++) statuses.push((await get(app)).status);
      jest.advanceTimersByTime(2_000); // …and ten in the first of the next
      for (let i = 0; i < 10; i++) statuses.push((await get(app)).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(404));
      expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(11);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 429 as problem+json with Retry-After and RateLimit headers, and recovers', async () => {
    const app = limited();
    for (let i = 0; i < 10; i++) {
      const ok = await get(app).expect(404);
      expect(ok.headers['ratelimit-policy']).toBe('"per-key";q=10;w=60');
      expect(ok.headers['ratelimit']).toMatch(/^"per-key";r=\d+;t=\d+$/);
    }
    const refused = await get(app).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(refused.headers['ratelimit']).toMatch(/^"per-key";r=0;t=\d+$/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    clock += retryAfter * 1_000;
    await get(app).expect(404);
  });

  it('counts the requests of every replica that shares the store', async () => {
    const [one, two] = [limited(), limited()];
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(i % 2 === 0 ? one : two)).status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(10);
  });

  it('fails open when the store cannot answer: the request is served, logged and counted', async () => {
    const metrics = createMetrics();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const app = limited({
      logger,
      metrics,
      rateLimits: { hit: () => Promise.reject(new Error('cassandra down')) },
    });
    for (let i = 0; i < 12; i++) await get(app).expect(404);
    expect(lines.some((l) => l.includes('rate limit store unavailable'))).toBe(true);
    const failures = await metrics.registry.getSingleMetricAsString(
      'invincible_rate_limit_store_failures_total',
    );
    expect(failures).toContain('invincible_rate_limit_store_failures_total 12');
  });

  it('fails open when the store hangs, after its timeout', async () => {
    const app = limited({
      rateLimits: { hit: () => new Promise(() => undefined) },
      rateLimitStoreTimeoutMs: 50,
    });
    await get(app).expect(404);
  });
});

describe('unauthenticated traffic is limited per client address', () => {
  it('answers 429 to an address after its 401s reach the limit, before any key is checked', async () => {
    let clock = T0 - (T0 % 60_000);
    const app = testApp(createInMemoryRepository(), {
      unauthenticatedLimitPerMinute: 5,
      now: () => new Date(clock),
    });
    for (let i = 0; i < 5; i++)
      await request(app)
        .get('/v1/customers/nobody')
        .set('Authorization', 'Bearer wrong-key-000000')
        .expect(401);
    const refused = await request(app).get('/v1/customers/nobody').expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Before the key check: a valid key from that address waits too (no oracle for guesses).
    await request(app).get('/v1/customers/nobody').set('Authorization', auth).expect(429);
    clock += 120_000;
    await request(app).get('/v1/customers/nobody').set('Authorization', auth).expect(404);
  });

  it('never counts authenticated requests', async () => {
    const app = testApp(createInMemoryRepository(), { unauthenticatedLimitPerMinute: 2 });
    for (let i = 0; i < 5; i++)
      await request(app).get('/v1/customers/nobody').set('Authorization', auth).expect(404);
  });
});

describe('slidingWindowDecision', () => {
  it('weights the previous window by the part of it still within the last window length', () => {
    expect(slidingWindowDecision({ current: 5, previous: 10 }, 0.5, 10, 60_000)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    expect(slidingWindowDecision({ current: 6, previous: 10 }, 0.5, 10, 60_000).allowed).toBe(
      false,
    );
    expect(slidingWindowDecision({ current: 10, previous: 0 }, 0.99, 10, 60_000).allowed).toBe(
      true,
    );
  });

  it('says to retry when one more request fits', () => {
    // 10 × (1 − f) + 7 ≤ 10 from f = 0.7: 12 s after the middle of the window.
    expect(
      slidingWindowDecision({ current: 6, previous: 10 }, 0.5, 10, 60_000).retryAfterSeconds,
    ).toBe(12);
    // This window alone is over: 30 s to its end, then 11 × (1 − g) + 1 ≤ 10 from g = 2/11.
    expect(
      slidingWindowDecision({ current: 11, previous: 0 }, 0.5, 10, 60_000).retryAfterSeconds,
    ).toBe(41);
  });
});
