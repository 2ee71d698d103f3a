import type { OutboxEmail, OutboxPort, Stored } from '@invincible/astra-repo';
import { isPermanentDeliveryError, type OutboxCourier } from './outbox-courier';

/** Hands a rendered email to a delivery channel (SMTP); absent, emails stay in the outbox. */
export type Deliver = (email: OutboxEmail) => Promise<void>;

export interface Mailer {
  /**
   * Enqueues once per `email.id`. With a courier, that is all: delivery happens apart. With an
   * inline `deliver`, it also delivers an unsent email before answering. `created`: this call
   * wrote the outbox row (a retry of the same id gets `false`).
   */
  send(
    email: Omit<OutboxEmail, 'status' | 'createdAt' | 'sentAt' | 'failure'>,
  ): Promise<Stored<OutboxEmail>>;
}

/**
 * The outbox mailer: the repository's outbox is the record of every email (deterministic ids
 * make a retried send enqueue once).
 *
 * - `courier` (the billing worker): `send` writes the outbox row and nudges the courier, which
 *   delivers apart from the caller — an SMTP outage or a bad address never holds an activity,
 *   let alone a billing loop.
 * - `deliver` (inline, at least once — SMTP offers nothing stronger): `send` delivers and marks
 *   the email sent; a transient failure throws (the activity retries); a permanent one (SMTP 5xx)
 *   is recorded on the row as `failed` and answered, not thrown — retrying cannot fix it.
 */
export function createOutboxMailer(options: {
  readonly outbox: OutboxPort;
  readonly deliver?: Deliver;
  readonly courier?: Pick<OutboxCourier, 'notify'>;
  readonly now?: () => Date;
}): Mailer {
  const now = options.now ?? (() => new Date());
  return {
    async send(email) {
      const { record, created } = await options.outbox.enqueue({
        ...email,
        status: 'pending',
        createdAt: now(),
        sentAt: null,
      });
      if (options.courier) {
        if (record.status === 'pending') options.courier.notify();
        return { record, created };
      }
      if (!options.deliver || record.status !== 'pending') return { record, created };
      try {
        await options.deliver(record);
      } catch (error) {
        if (!isPermanentDeliveryError(error)) throw error;
        const failed = await options.outbox.markFailed(
          record.id,
          error instanceof Error ? error.message.slice(0, 500) : 'permanent delivery failure',
        );
        return { record: failed, created };
      }
      return { record: await options.outbox.markSent(record.id, now()), created };
    },
  };
}
