// The benchmark's baseline: the subscription workflow's shape — per period one timer to the next
// absolute charge instant and the same four activities (charge, ledger, loyalty points, publish of
// emails and projection) — with no logic and no-op activities.
import { proxyActivities, sleep } from '@temporalio/workflow';

export interface NoopBillingActivities {
  chargePayment(): Promise<void>;
  recordCharge(): Promise<void>;
  earnLoyaltyPoints(): Promise<void>;
  publish(): Promise<void>;
}

const activities = proxyActivities<NoopBillingActivities>({ startToCloseTimeout: '30 seconds' });

export async function noopSubscription(input: {
  readonly startAt: string;
  readonly intervalMs: number;
  readonly periods: number;
}): Promise<number> {
  await activities.publish();
  for (let period = 1; period <= input.periods; period++) {
    const due = new Date(input.startAt).getTime() + (period - 1) * input.intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    await activities.chargePayment();
    await activities.recordCharge();
    await activities.earnLoyaltyPoints();
    await activities.publish();
  }
  return input.periods;
}
