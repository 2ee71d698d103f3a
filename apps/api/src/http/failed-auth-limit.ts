import type { RequestHandler } from 'express';
import { slidingWindowDecision } from './rate-limit';
import { sendProblem } from './problem';

export interface FailedAuthLimitOptions {
  /** Failed authentications (401) per client address per `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  readonly now: () => number;
}

/**
 * Limits unauthenticated traffic per client address (`req.socket.remoteAddress`: the proxy
 * headers are not trusted). Goes before the key check: an address whose 401s reached the limit
 * gets 429 for every request until its sliding window clears, a valid key included — otherwise a
 * 429-free answer would tell a guesser which key was right. Only 401 answers are counted, so an
 * authenticated client behind a shared address is never limited by this. Counted in this
 * process's memory (a guesser spread over replicas gets `limit` per replica); addresses idle for
 * two windows are forgotten.
 */
export function failedAuthLimit(options: FailedAuthLimitOptions): RequestHandler {
  const { limit, windowMs } = options;
  const addresses = new Map<string, { window: number; current: number; previous: number }>();
  let sweptAt = -1;

  const countsAt = (address: string, window: number) => {
    const stored = addresses.get(address);
    if (!stored || stored.window < window - 1) return { window, current: 0, previous: 0 };
    if (stored.window === window - 1) return { window, current: 0, previous: stored.current };
    return stored;
  };

  return (req, res, next) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const now = options.now();
    const window = Math.floor(now / windowMs);
    if (window > sweptAt + 1) {
      for (const [name, entry] of addresses) if (entry.window < window - 1) addresses.delete(name);
      sweptAt = window - 1;
    }
    const counts = countsAt(address, window);
    // As if one more request failed: refused once the next 401 would exceed the limit.
    const decision = slidingWindowDecision(
      { current: counts.current + 1, previous: counts.previous },
      (now - window * windowMs) / windowMs,
      limit,
      windowMs,
    );
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      sendProblem(res, {
        title: 'Too Many Requests',
        status: 429,
        detail:
          'Too many requests without a valid API key from this address; retry after the time in Retry-After',
      });
      return;
    }
    res.once('finish', () => {
      if (res.statusCode !== 401) return;
      const at = Math.floor(options.now() / windowMs);
      const current = countsAt(address, at);
      addresses.set(address, { ...current, current: current.current + 1 });
    });
    next();
  };
}
