import { createHash } from 'node:crypto';
import type { RateLimitsPort, WindowCounts } from '@invincible/astra-repo';
import type { Request, RequestHandler, Response } from 'express';
import { sendProblem } from './problem';

/** What a sliding-window limiter decided for one request. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests left before the limit, as the estimate stands (for the `RateLimit` header). */
  readonly remaining: number;
  /** Seconds until the current window ends. */
  readonly resetSeconds: number;
  /** When refused: seconds after which one more request fits under the limit. */
  readonly retryAfterSeconds: number;
}

/**
 * The sliding-window estimate (Cloudflare's): the requests of the last `windowMs` are taken as
 * this window's count plus the previous window's, weighted by how much of it still lies within
 * the last `windowMs`. A burst at the end of one window and the start of the next is counted
 * together — a fixed window would let twice the limit through there. `counts` include this
 * request. Pure: unit-tested without a store.
 */
export function slidingWindowDecision(
  counts: WindowCounts,
  elapsed: number,
  limit: number,
  windowMs: number,
): RateDecision {
  const estimate = counts.previous * (1 - elapsed) + counts.current;
  const resetSeconds = Math.max(1, Math.ceil(((1 - elapsed) * windowMs) / 1_000));
  const allowed = estimate <= limit;
  let waitMs = 0;
  if (!allowed) {
    if (counts.current + 1 <= limit && counts.previous > 0) {
      // The previous window's weight has to fall until one more request fits.
      waitMs = windowMs * (1 - elapsed - (limit - counts.current - 1) / counts.previous);
    } else {
      // This window alone is full: into the next one, until its weight falls enough.
      waitMs = (1 - elapsed) * windowMs + windowMs * (1 - (limit - 1) / counts.current);
    }
  }
  return {
    allowed,
    remaining: Math.max(0, Math.floor(limit - estimate)),
    resetSeconds,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(waitMs / 1_000)),
  };
}

export interface SlidingWindowLimitOptions {
  /** Counters shared by every replica (Cassandra or Astra), or this process's. */
  readonly store: RateLimitsPort;
  readonly limit: number;
  readonly windowMs: number;
  /** The policy's name in the `RateLimit` headers. */
  readonly policy: string;
  /** Whose requests are counted together, e.g. the API key's name. */
  readonly keyOf: (req: Request, res: Response) => string;
  readonly now: () => number;
  /** How long a request waits for the store before it is let through (fail open). */
  readonly storeTimeoutMs: number;
  /** Called when the store failed or was too slow and the request was let through. */
  readonly onStoreFailure: (error: unknown, req: Request) => void;
  readonly detail: string;
}

/**
 * A sliding-window rate limit over a shared counter store. Answers 429 (problem+json) with
 * `Retry-After`, and `RateLimit-Policy` / `RateLimit` (IETF draft-8 syntax) on every answer.
 * A store that fails or does not answer within `storeTimeoutMs` never fails the request: it is
 * served, and `onStoreFailure` logs and counts it.
 */
export function slidingWindowLimit(options: SlidingWindowLimitOptions): RequestHandler {
  const { store, limit, windowMs, policy } = options;
  return async (req, res, next) => {
    const now = options.now();
    const window = Math.floor(now / windowMs);
    // Any caller name becomes a valid, fixed-size bucket key, whatever characters it has.
    const bucket = `rl:${policy}:${windowMs}:${digest(options.keyOf(req, res))}`;
    let counts: WindowCounts;
    try {
      counts = await withTimeout(store.hit(bucket, window), options.storeTimeoutMs);
    } catch (error) {
      options.onStoreFailure(error, req);
      next();
      return;
    }
    const decision = slidingWindowDecision(
      counts,
      (now - window * windowMs) / windowMs,
      limit,
      windowMs,
    );
    res.setHeader('RateLimit-Policy', `"${policy}";q=${limit};w=${Math.round(windowMs / 1_000)}`);
    res.setHeader('RateLimit', `"${policy}";r=${decision.remaining};t=${decision.resetSeconds}`);
    if (decision.allowed) {
      next();
      return;
    }
    res.setHeader('Retry-After', String(decision.retryAfterSeconds));
    sendProblem(res, { title: 'Too Many Requests', status: 429, detail: options.detail });
  };
}

const digest = (value: string) =>
  createHash('sha256').update(value).digest('base64url').slice(0, 22);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
