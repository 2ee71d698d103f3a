/** Bodies as the API answers them (shapes of schema.gen.ts). */
import type {
  Charge,
  Coupon,
  Customer,
  Email,
  LoyaltyBalance,
  Purchase,
  Subscription,
} from '../api/types';

export const ada: Customer = {
  id: 'cus_ada',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  createdAt: '2026-05-01T09:00:00.000Z',
};

export const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' as const });

export const loyalty = (overrides: Partial<LoyaltyBalance> = {}): LoyaltyBalance => ({
  customerId: 'cus_ada',
  balance: 2_500,
  lifetimePoints: 12_500,
  couponsIssued: 1,
  couponsRedeemed: 0,
  recentPurchases: [],
  workflowId: 'loyalty:dev~cus_ada',
  ...overrides,
});

export const coupon = (overrides: Partial<Coupon> = {}): Coupon => ({
  id: 'cus_ada:1',
  value: usd(500),
  status: 'issued',
  issuedAt: '2026-06-01T11:00:00.000Z',
  redeemedAt: null,
  ...overrides,
});

export const purchase = (overrides: Partial<Purchase> = {}): Purchase => ({
  purchaseId: 'ord-1',
  amount: usd(12_500),
  points: 12_500,
  countedAt: '2026-06-01T11:00:00.000Z',
  source: 'purchase',
  ...overrides,
});

export const email = (overrides: Partial<Email> = {}): Email => ({
  id: 'em_1',
  to: 'ada@example.com',
  template: 'coupon-issued',
  subject: 'You earned a coupon',
  status: 'sent',
  createdAt: '2026-06-01T11:00:01.000Z',
  sentAt: '2026-06-01T11:00:02.000Z',
  ...overrides,
});

export const subscription = (overrides: Partial<Subscription> = {}): Subscription => ({
  id: 'sub_1',
  customerId: 'cus_ada',
  status: 'active',
  price: usd(1_000),
  interval: { unit: 'second', count: 4 },
  timeZone: 'Europe/Paris',
  nextChargeAt: '2026-06-01T12:00:16.000Z',
  periodsBilled: 3,
  pendingPrice: null,
  cancel: null,
  pausedAt: null,
  source: 'workflow',
  workflowId: 'subscription:dev~sub_1',
  ...overrides,
});

export const charge = (
  period: number,
  attempt: number,
  outcome: Charge['outcome'],
  occurredAt: string,
): Charge => ({
  period,
  attempt,
  amount: usd(1_000),
  outcome,
  providerRef: outcome === 'succeeded' ? `ch_${period}` : null,
  failureCode: outcome === 'declined' ? 'card_declined' : null,
  occurredAt,
});

export const page = <T>(items: T[], nextCursor: string | null = null) => ({ items, nextCursor });
