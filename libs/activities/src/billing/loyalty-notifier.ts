import {
  LOYALTY_TASK_QUEUE,
  loyaltySearchAttributes,
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  type Purchase,
} from '@invincible/workflows';
import type { WorkflowClient } from '@temporalio/client';

/** Tells a customer's loyalty program about a purchase, starting the program if need be. */
export interface LoyaltyNotifier {
  notifyPurchase(customerId: string, customerEmail: string, purchase: Purchase): Promise<void>;
}

/**
 * The notifier over Temporal: signal-with-start of the customer's `loyaltyProgram` on the
 * `loyalty` task queue (another worker's), idempotent because the loyalty program counts each
 * purchaseId once.
 */
export function createLoyaltyNotifier(workflows: WorkflowClient): LoyaltyNotifier {
  return {
    async notifyPurchase(customerId, customerEmail, purchase) {
      await workflows.signalWithStart('loyaltyProgram', {
        workflowId: loyaltyWorkflowId(customerId),
        taskQueue: LOYALTY_TASK_QUEUE,
        args: [{ customerId, customerEmail }],
        // Used only if this starts the program: found by `CustomerId` from its first instant.
        typedSearchAttributes: loyaltySearchAttributes(customerId),
        signal: notifyPurchaseSignal,
        // A charge's award is its own id space in the ledger: no caller's purchase id can take it.
        signalArgs: [{ ...purchase, source: 'charge' }],
      });
    },
  };
}
