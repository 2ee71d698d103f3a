import { setTimeout as sleep } from 'node:timers/promises';

/** Exponential backoff: `initialMs`, twice as long each time, capped at `maxMs`. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** 1 s, 2 s, 4 s … 30 s. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000 };

/** One failed attempt, for the log: what failed, why, and when the next try is. */
export interface RetryEvent {
  readonly what: 'connect' | 'run';
  readonly error: unknown;
  readonly attempt: number;
  readonly delayMs: number;
}

export interface KeepWorkerRunningOptions<C extends { close(): Promise<void> }> {
  /** Opens the connection to Temporal (`NativeConnection.connect`); retried until it succeeds. */
  readonly connect: () => Promise<C>;
  /**
   * Creates the worker on `connection` and runs it: resolves when the worker stopped (after a
   * shutdown signal), rejects when it failed.
   */
  readonly run: (connection: C) => Promise<void>;
  /** Aborted on SIGINT/SIGTERM: ends a wait at once and gives up quietly. */
  readonly signal: AbortSignal;
  readonly onRetry: (event: RetryEvent) => void;
  readonly backoff?: Backoff;
}

/**
 * Keeps a Temporal worker running through outages of Temporal, as `migrateUntilDone` does for
 * the database: connects with backoff until the server answers (a worker started before
 * Temporal waits instead of exiting on "tcp connect error … Connection refused"), runs the
 * worker, and when the worker fails on a lost connection (the SDK's core gives up polling a
 * server that stays away) closes the connection and starts over. Any other failure is a bug and
 * is thrown; a shutdown signal ends it quietly.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 * await keepWorkerRunning({
 *   connect: () => NativeConnection.connect({ address }),
 *   run: async (connection) => (await createBillingWorker({ connection, ... })).run(),
 *   signal: stop.signal,
 *   onRetry: ({ what, error, delayMs }) => logger.warn({ err: error, delayMs }, `${what} failed`),
 * });
 * ```
 */
export async function keepWorkerRunning<C extends { close(): Promise<void> }>(
  options: KeepWorkerRunningOptions<C>,
): Promise<void> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let attempt = 0;
  const wait = async (what: RetryEvent['what'], error: unknown) => {
    attempt += 1;
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
    options.onRetry({ what, error, attempt, delayMs });
    await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
  };
  while (!options.signal.aborted) {
    let connection: C;
    try {
      connection = await options.connect();
    } catch (error) {
      if (options.signal.aborted) return;
      if (!isConnectionError(error)) throw error;
      await wait('connect', error);
      continue;
    }
    attempt = 0;
    try {
      await options.run(connection);
      return;
    } catch (error) {
      if (options.signal.aborted) return;
      if (!isConnectionError(error)) throw error;
      await wait('run', error);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}

/**
 * The texts of a connection that could not be made or was lost: the core's transport errors
 * (`tcp connect error`, `Connection refused`, `transport error`, h2 resets) and gRPC
 * UNAVAILABLE / DEADLINE_EXCEEDED. Matched over the error and its causes.
 */
const CONNECTION_TEXT =
  /tcp connect error|connection refused|transport error|connection reset|broken pipe|connection closed|h2 protocol error|dns error|UNAVAILABLE|Service Unavailable|DEADLINE_EXCEEDED|deadline has elapsed|timed out/i;

/** True when `error` (or one of its causes) says the connection to Temporal failed. */
export function isConnectionError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (e.name === 'TransportError' || CONNECTION_TEXT.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}
