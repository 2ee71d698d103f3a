import type { OutboxEmail, OutboxPort } from '@invincible/astra-repo';
import type { Deliver } from './mailer';

/**
 * Whether a delivery error is permanent: an SMTP 5xx reply (550 no such mailbox, 553 bad
 * address…) will be the same on every retry. Anything else (4xx, connection refused, timeouts)
 * is worth retrying.
 */
export function isPermanentDeliveryError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export interface OutboxCourierOptions {
  readonly outbox: OutboxPort;
  readonly deliver: Deliver;
  readonly now?: () => Date;
  /** Delay before retrying a transient failure, by attempt (the last one repeats). */
  readonly retryDelaysMs?: readonly number[];
  /** Pending emails fetched per sweep. */
  readonly batch?: number;
  readonly onError?: (error: unknown, email: OutboxEmail) => void;
}

/** What a round of deliveries did. */
export interface CourierRound {
  readonly sent: number;
  readonly failed: number;
  readonly deferred: number;
}

/**
 * Delivers the outbox apart from whatever wrote it: activities only enqueue (fast, retried by
 * Temporal under the email's id), and the courier — a loop in the worker process — sends pending
 * emails, marks them sent, records a permanent failure (SMTP 5xx) on the row as `failed`, and
 * retries transient ones later. It reads its work from the outbox itself (`listPending`), so a
 * worker that died mid-delivery leaves nothing behind: the next sweep, by any worker, finds it.
 * Delivery is at least once, as SMTP allows nothing stronger.
 *
 * @example
 * ```ts
 * const courier = createOutboxCourier({ outbox: repository.outbox, deliver: createSmtpDeliver(smtp) });
 * const mailer = createOutboxMailer({ outbox: repository.outbox, courier });
 * courier.start(5_000); // sweep every 5 s; `await courier.stop()` at shutdown
 * ```
 */
export function createOutboxCourier(options: OutboxCourierOptions) {
  const now = options.now ?? (() => new Date());
  const delays = options.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000];
  const attempts = new Map<string, number>();
  const notBefore = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let round: Promise<CourierRound> | null = null;
  let again = false;

  async function deliverOne(email: OutboxEmail): Promise<'sent' | 'failed' | 'deferred'> {
    if ((notBefore.get(email.id) ?? 0) > now().getTime()) return 'deferred';
    try {
      await options.deliver(email);
    } catch (error) {
      options.onError?.(error, email);
      if (isPermanentDeliveryError(error)) {
        await options.outbox.markFailed(
          email.id,
          error instanceof Error ? error.message.slice(0, 500) : 'permanent delivery failure',
        );
        attempts.delete(email.id);
        notBefore.delete(email.id);
        return 'failed';
      }
      const n = (attempts.get(email.id) ?? 0) + 1;
      attempts.set(email.id, n);
      notBefore.set(email.id, now().getTime() + (delays[Math.min(n, delays.length) - 1] ?? 0));
      return 'deferred';
    }
    await options.outbox.markSent(email.id, now());
    attempts.delete(email.id);
    notBefore.delete(email.id);
    return 'sent';
  }

  async function sweepOnce(): Promise<CourierRound> {
    const counts = { sent: 0, failed: 0, deferred: 0 };
    const pending = await options.outbox.listPending(options.batch ?? 100);
    for (const email of pending) counts[await deliverOne(email)]++;
    return counts;
  }

  /** One round at a time; a request during a round runs one more after it. */
  function sweep(): Promise<CourierRound> {
    if (round) {
      again = true;
      return round;
    }
    round = sweepOnce().finally(() => {
      round = null;
      if (again) {
        again = false;
        void sweep().catch(() => undefined);
      }
    });
    return round;
  }

  return {
    /** Delivers what is pending now (and due): one round. */
    sweep,
    /** A new email was enqueued: deliver soon, without waiting for the next tick. */
    notify(): void {
      void sweep().catch(() => undefined);
    },
    /** Sweeps every `intervalMs` until {@link stop}. */
    start(intervalMs: number): void {
      if (timer) return;
      timer = setInterval(() => void sweep().catch(() => undefined), intervalMs);
      timer.unref?.();
      void sweep().catch(() => undefined);
    },
    /** Stops the loop and waits for the round in progress. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      again = false;
      await round?.catch(() => undefined);
    },
  };
}

export type OutboxCourier = ReturnType<typeof createOutboxCourier>;
