import { localId } from '@invincible/astra-repo';
import type { BillingEmailTemplate } from '@invincible/workflows';

type Data = Readonly<Record<string, string | number>>;

const templates: Record<BillingEmailTemplate, (d: Data) => { subject: string; body: string }> = {
  receipt: (d) => ({
    subject: `Receipt: ${d['amount']} for your subscription`,
    body: `We charged ${d['amount']} for period ${d['period']} of subscription ${d['subscriptionId']}.\nReference: ${d['providerRef']}.`,
  }),
  trial_canceled: (d) => ({
    subject: 'Your trial is canceled',
    body: `Your trial of subscription ${d['subscriptionId']} is canceled. You have not been charged.`,
  }),
  canceled: (d) => ({
    subject: 'Your subscription is canceled',
    body: `Subscription ${d['subscriptionId']} is canceled. Nothing will be charged from ${d['effectiveAt']} on.`,
  }),
  payment_failed: (d) => ({
    subject: 'Your payment failed',
    body: `We could not charge ${d['amount']} for period ${d['period']} of subscription ${d['subscriptionId']} (${d['reason']}).\nWe will try again on ${d['retryAt']}.`,
  }),
  canceled_unpaid: (d) => ({
    subject: 'Your subscription is canceled: payment failed',
    body: `We could not charge ${d['amount']} for period ${d['period']} after several attempts, so subscription ${d['subscriptionId']} is canceled.`,
  }),
  subscription_ended: (d) => ({
    subject: 'Your subscription has ended',
    body: `Subscription ${d['subscriptionId']} has ended after ${d['periodsBilled']} billed periods. Thank you!`,
  }),
};

/** Subject and plain-text body of a billing email. */
export function renderBillingEmail(
  template: BillingEmailTemplate,
  data: Data,
): { subject: string; body: string } {
  // The customer reads the id its tenant knows, never the stored `<tenant>~<id>`.
  const subscriptionId = data['subscriptionId'];
  return templates[template](
    typeof subscriptionId === 'string'
      ? { ...data, subscriptionId: localId(subscriptionId) }
      : data,
  );
}
