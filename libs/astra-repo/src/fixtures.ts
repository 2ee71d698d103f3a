import type { SubscriptionProjection } from './model/entities';

/**
 * An active monthly subscription projection at `version` (that many periods billed): the one
 * the contract suite, the CQL adapter's write-count tests and `bench:ledger` save.
 */
export function exampleSubscription(
  id: string,
  customerId: string,
  version: number,
  updatedAt = new Date('2026-01-31T10:00:00Z'),
): SubscriptionProjection {
  return {
    id,
    customerId,
    status: 'active',
    price: { amountMinor: 1999, currency: 'EUR' },
    interval: { unit: 'month', count: 1 },
    anchorAt: new Date('2026-01-31T10:00:00Z'),
    timeZone: 'Europe/Paris',
    nextChargeAt: new Date('2026-02-28T09:00:00Z'),
    periodsBilled: version,
    canceledAt: null,
    cancelEffectiveAt: null,
    cancelReason: null,
    pausedAt: null,
    version,
    updatedAt,
  };
}
