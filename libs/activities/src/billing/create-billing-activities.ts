import type { Repository } from '@invincible/astra-repo';
import type { BillingActivities, BillingEmail } from '@invincible/workflows';
import type { Mailer } from '../mail/mailer';
import { guarded } from '../guarded';
import { NO_BILLING_METRICS, type BillingMetrics } from '../metrics/business-metrics';
import { renderBillingEmail } from './billing-emails';
import type { LoyaltyNotifier } from './loyalty-notifier';
import type { PaymentGateway } from './payment-gateway';

export interface BillingActivityDeps {
  readonly repository: Pick<Repository, 'charges' | 'subscriptions'>;
  readonly payments: PaymentGateway;
  readonly mailer: Mailer;
  readonly loyalty: LoyaltyNotifier;
  /** Counts charges and emails once each (`createBillingMetrics`); default: counts nothing. */
  readonly metrics?: BillingMetrics;
  readonly now?: () => Date;
}

/**
 * The activities of the `billing` task queue (the contract is `BillingActivities` in
 * libs/workflows). Each does one side effect, idempotent by a business key.
 *
 * @example
 * ```ts
 * const activities = createBillingActivities({
 *   repository,
 *   payments: createSandboxGateway({ payments: repository.payments }),
 *   mailer: createOutboxMailer({ outbox: repository.outbox }),
 * });
 * await Worker.create({ taskQueue: BILLING_TASK_QUEUE, activities, ... });
 * ```
 */
export function createBillingActivities(deps: BillingActivityDeps): BillingActivities {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_BILLING_METRICS;

  // Versioned by the workflow's state: a retry, or an older run's save, never overwrites a newer one.
  const saveProjection = async ({
    subscriptionId,
    customerId,
    interval,
    timeZone,
    state,
  }: Parameters<BillingActivities['saveSubscription']>[0]) => {
    await deps.repository.subscriptions.save({
      id: subscriptionId,
      customerId,
      status: state.status,
      price: state.price,
      interval,
      anchorAt: new Date(state.anchorAt),
      timeZone,
      nextChargeAt: state.nextChargeAt ? new Date(state.nextChargeAt) : null,
      periodsBilled: state.periodsBilled,
      canceledAt: state.cancel ? new Date(state.cancel.requestedAt) : null,
      cancelEffectiveAt: state.cancel ? new Date(state.cancel.effectiveAt) : null,
      cancelReason: state.cancel?.reason ?? null,
      pausedAt: state.pausedAt ? new Date(state.pausedAt) : null,
      version: state.version,
      updatedAt: now(),
    });
  };

  // The outbox row only (idempotent by the email's id); delivery is the mailer's, apart.
  const enqueue = async (email: BillingEmail) => {
    const { subject, body } = renderBillingEmail(email.template, email.data);
    const { created } = await deps.mailer.send({
      id: email.id,
      customerId: email.customerId,
      to: email.to,
      template: email.template,
      subject,
      body,
    });
    if (created) metrics.emailQueued(email.template);
  };

  return {
    // A decline is a result; PaymentUnavailableError is retried by Temporal under the same key.
    chargePayment: (request) => guarded(() => deps.payments.charge(request)),

    recordCharge: (entry) =>
      guarded(async () => {
        const { created } = await deps.repository.charges.record({
          ...entry,
          occurredAt: new Date(entry.occurredAt),
        });
        // Counted by the write, not the attempt: a retry finds the entry and counts nothing.
        if (created) metrics.chargeRecorded(entry);
      }),

    saveSubscription: (projection) => guarded(() => saveProjection(projection)),

    sendEmail: (email) => guarded(() => enqueue(email)),

    // An unknown outcome is settled by the key: the gateway answers what it stored, or voids it.
    lookupPayment: (request) => guarded(() => deps.payments.lookup(request)),

    // Emails first: a projection saved says what happened, and its emails are already queued.
    publish: ({ emails, projection }) =>
      guarded(async () => {
        for (const email of emails) await enqueue(email);
        if (projection) await saveProjection(projection);
      }),

    earnLoyaltyPoints: ({ customerId, customerEmail, purchaseId, amount, occurredAt }) =>
      guarded(() =>
        deps.loyalty.notifyPurchase(customerId, customerEmail, {
          purchaseId,
          total: amount.amountMinor,
          currency: amount.currency,
          occurredAt,
        }),
      ),
  };
}
