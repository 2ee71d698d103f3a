// The loyalty benchmark's baseline: the shape of loyaltyProgram — an Update with a validator,
// one activity per purchase, a projection save when idle — with no logic and no-op activities.
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export interface NoopLoyaltyActivities {
  recordProcessedPurchase(): Promise<void>;
  saveAccount(): Promise<void>;
}

const activities = proxyActivities<NoopLoyaltyActivities>({ startToCloseTimeout: '30 seconds' });

export const noopPurchaseUpdate = defineUpdate<
  number,
  [{ readonly purchaseId: string; readonly total: number }]
>('recordPurchase');

export async function noopLoyalty(): Promise<void> {
  let changed = false;
  setHandler(
    noopPurchaseUpdate,
    async ({ total }) => {
      await activities.recordProcessedPurchase();
      changed = true;
      return total;
    },
    {
      validator: ({ total }) => {
        if (!Number.isSafeInteger(total) || total <= 0) throw new Error('bad total');
      },
    },
  );
  for (;;) {
    await condition(() => changed);
    changed = false;
    await activities.saveAccount();
  }
}
