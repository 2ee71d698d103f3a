/** What several benches share: bounded sizes from the environment, and the raw purchase call. */
import {
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltyWorkflowId,
  recordPurchaseUpdate,
  type Purchase,
  type PurchaseResult,
} from '@invincible/workflows';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';

/** `process.env[name]` as a number between 1 and `max` (`fallback` when unset): loops stay bounded. */
export const bounded = (name: string, fallback: number, max: number): number =>
  Math.max(1, Math.min(Number(process.env[name] ?? fallback), max));

/**
 * One purchase as the API records it, without the API: the recordPurchase Update, starting the
 * customer's loyalty program if it is not running (`executeUpdateWithStart`).
 */
export function recordPurchaseWithStart(
  client: Client,
  customerId: string,
  purchase: Purchase,
): Promise<PurchaseResult> {
  return client.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
    args: [purchase],
    updateId: `purchase:${purchase.purchaseId}`,
    startWorkflowOperation: new WithStartWorkflowOperation(LOYALTY_WORKFLOW_TYPE, {
      workflowId: loyaltyWorkflowId(customerId),
      taskQueue: LOYALTY_TASK_QUEUE,
      args: [{ customerId, customerEmail: `${customerId}@example.com` }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}
