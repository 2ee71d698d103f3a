/**
 * The billing service's contract: everything the API and the billing worker must agree on.
 * Imported by both; no other file spells these strings.
 */

/** The task queue polled by apps/billing-worker. */
export const BILLING_TASK_QUEUE = 'billing';

/**
 * Workflow id of the subscription workflow for `subscriptionId`: one execution per subscription,
 * derived from the business key so that a retried start can never create a second one.
 */
export function subscriptionWorkflowId(subscriptionId: string): string {
  return `subscription:${subscriptionId}`;
}
