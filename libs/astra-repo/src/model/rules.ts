import { ValidationError } from '../errors';
import type { ChargeEntry, LoyaltyAccount, PaymentRecord } from './entities';

/** The ledger key of a charge attempt: `<subscriptionId>:<period>:<attempt>`. */
export function chargeKey(
  entry: Pick<ChargeEntry, 'subscriptionId' | 'period' | 'attempt'>,
): string {
  return `${entry.subscriptionId}:${entry.period}:${entry.attempt}`;
}

/** Whether two payment requests are the same request (what an idempotency key must not change). */
export function samePayment(a: PaymentRecord, b: PaymentRecord): boolean {
  return (
    a.customerId === b.customerId &&
    a.amount.amountMinor === b.amount.amountMinor &&
    a.amount.currency === b.amount.currency &&
    a.paymentMethod === b.paymentMethod
  );
}

/** The account of a customer who has no points yet. */
export function emptyAccount(customerId: string, at: Date): LoyaltyAccount {
  return {
    customerId,
    balance: 0,
    lifetimePoints: 0,
    couponsIssued: 0,
    couponsRedeemed: 0,
    version: 0,
    updatedAt: at,
  };
}

/**
 * Adds `points` to the balance (and, when positive, to the lifetime total). A deduction that
 * would take the balance below zero is refused: points are never created by an overdraft.
 */
export function applyPoints(account: LoyaltyAccount, points: number, at: Date): LoyaltyAccount {
  const balance = account.balance + points;
  if (balance < 0) {
    throw new ValidationError(
      `cannot deduct ${-points} points from a balance of ${account.balance}`,
      {
        points: 'more than the balance',
      },
    );
  }
  return {
    ...account,
    balance,
    lifetimePoints: account.lifetimePoints + Math.max(points, 0),
    version: account.version + 1,
    updatedAt: at,
  };
}
