/**
 * The loyalty service's contract: everything the API, the billing side and the loyalty worker
 * must agree on. Imported by all of them; no other file spells these strings.
 */

/** The task queue polled by apps/loyalty-worker. */
export const LOYALTY_TASK_QUEUE = 'loyalty';

/**
 * Workflow id of the loyalty program of `customerId`: one never-ending execution per customer,
 * derived from the business key so that lazy starts from several callers converge on one.
 */
export function loyaltyWorkflowId(customerId: string): string {
  return `loyalty:${customerId}`;
}
