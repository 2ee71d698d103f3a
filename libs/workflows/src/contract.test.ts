import {
  BILLING_TASK_QUEUE,
  LOYALTY_TASK_QUEUE,
  loyaltyWorkflowId,
  subscriptionWorkflowId,
} from './index';

describe('contracts', () => {
  it('names one task queue per worker', () => {
    expect(BILLING_TASK_QUEUE).toBe('billing');
    expect(LOYALTY_TASK_QUEUE).toBe('loyalty');
  });

  it('derives workflow ids from business keys, so a retried start finds the same execution', () => {
    expect(subscriptionWorkflowId('sub_123')).toBe('subscription:sub_123');
    expect(loyaltyWorkflowId('cus_42')).toBe('loyalty:cus_42');
    expect(subscriptionWorkflowId('a')).not.toBe(loyaltyWorkflowId('a'));
  });
});
