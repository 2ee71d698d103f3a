import type { OutboxEmail, OutboxPort } from '@invincible/astra-repo';

/** Hands a rendered email to a delivery channel (SMTP); absent, emails stay in the outbox. */
export type Deliver = (email: OutboxEmail) => Promise<void>;

export interface Mailer {
  /** Enqueues once per `email.id`, then delivers it if a channel is configured and it is unsent. */
  send(email: Omit<OutboxEmail, 'status' | 'createdAt' | 'sentAt'>): Promise<OutboxEmail>;
}

/**
 * The outbox mailer: the repository's outbox is the record of every email (deterministic ids
 * make a retried send enqueue once); delivery, when configured, is at least once — SMTP offers
 * nothing stronger — and marks the email sent.
 */
export function createOutboxMailer(options: {
  readonly outbox: OutboxPort;
  readonly deliver?: Deliver;
  readonly now?: () => Date;
}): Mailer {
  const now = options.now ?? (() => new Date());
  return {
    async send(email) {
      const { record } = await options.outbox.enqueue({
        ...email,
        status: 'pending',
        createdAt: now(),
        sentAt: null,
      });
      if (!options.deliver || record.status === 'sent') return record;
      await options.deliver(record);
      return options.outbox.markSent(record.id, now());
    },
  };
}
