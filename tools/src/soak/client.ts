/**
 * The careful client: what a well-behaved integration does against the API. A request that got
 * no definitive answer (connection refused or reset, a timeout, 429, 500, 502, 503, 504) is sent
 * again, identical — same body, same Idempotency-Key — after a short backoff, until it gets one
 * or its time budget runs out. (A 500 says nothing of whether the request took effect: only the
 * same request again can tell. It is still recorded, and the soak fails on it.) Every attempt is
 * recorded for the status histogram.
 */

export interface Attempt {
  /** Epoch ms the attempt was sent. */
  readonly at: number;
  readonly route: string;
  /** The HTTP status, or `network` (refused, reset, timed out). */
  readonly status: number | 'network';
  readonly ms: number;
}

export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** From the first attempt to the definitive answer. */
  readonly ms: number;
  readonly attempts: number;
}

/** No definitive answer within the request's budget. */
export class GaveUp extends Error {
  constructor(
    readonly route: string,
    readonly last: number | 'network',
  ) {
    super(`${route}: no answer (last: ${last})`);
  }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export interface ClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly record: (attempt: Attempt) => void;
  /** Per-attempt timeout. */
  readonly attemptTimeoutMs?: number;
  /** Per-request budget over all attempts. */
  readonly budgetMs?: number;
}

export class SoakClient {
  constructor(private readonly options: ClientOptions) {}

  async send<T = unknown>(
    route: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Answer<T>> {
    const started = Date.now();
    const budget = this.options.budgetMs ?? 180_000;
    let backoff = 200;
    let attempts = 0;
    for (;;) {
      attempts++;
      const at = Date.now();
      let status: number | 'network' = 'network';
      let parsed: unknown;
      try {
        const response = await fetch(this.options.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.attemptTimeoutMs ?? 30_000),
        });
        status = response.status;
        const text = await response.text();
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        status = 'network';
      }
      this.options.record({ at, route, status, ms: Date.now() - at });
      if (status !== 'network' && !RETRYABLE.has(status)) {
        return { status, body: parsed as T, ms: Date.now() - started, attempts };
      }
      if (Date.now() - started > budget) throw new GaveUp(route, status);
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 2_000);
    }
  }
}
