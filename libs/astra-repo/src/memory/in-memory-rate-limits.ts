import { validate } from '../model/validation';
import type { RateLimitsPort, WindowCounts } from '../ports/repository';

/**
 * Rate-limit counters in this process's memory: exact and atomic (one synchronous step per hit),
 * shared by nothing else. For a single replica, for tests, and for limits that need not be
 * shared (unauthenticated traffic per client address). Each bucket keeps its last two windows
 * only, and buckets idle for two windows are dropped, so memory follows the active buckets.
 */
export function createInMemoryRateLimits(): RateLimitsPort {
  const buckets = new Map<string, { window: number; current: number; previous: number }>();
  let sweptAt = -1;

  return {
    hit(bucketName, windowNumber) {
      try {
        const { bucket, window } = validate.rateLimitHit(bucketName, windowNumber);
        if (window > sweptAt + 1) {
          // Once per window: forget the buckets nobody hit in the last two windows.
          for (const [name, b] of buckets) if (b.window < window - 1) buckets.delete(name);
          sweptAt = window - 1;
        }
        const stored = buckets.get(bucket);
        let next: { window: number; current: number; previous: number };
        if (!stored || stored.window < window - 1) next = { window, current: 1, previous: 0 };
        else if (stored.window === window - 1)
          next = { window, current: 1, previous: stored.current };
        else if (stored.window === window) next = { ...stored, current: stored.current + 1 };
        else if (stored.window === window + 1) {
          // A late hit for the window just left (a caller whose clock lags): count it there.
          buckets.set(bucket, { ...stored, previous: stored.previous + 1 });
          return Promise.resolve<WindowCounts>({ current: stored.previous + 1, previous: 0 });
        } else return Promise.resolve<WindowCounts>({ current: 1, previous: 0 });
        buckets.set(bucket, next);
        return Promise.resolve<WindowCounts>({ current: next.current, previous: next.previous });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}
