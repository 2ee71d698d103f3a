import { ConflictError, ValidationError } from '../errors';
import type { Stored } from '../ports/paging';
import type {
  ChargeEntry,
  FindingObservation,
  LoyaltyAccount,
  PaymentRecord,
  ReconciliationFinding,
} from './entities';

/** The ledger key of a charge attempt: `<subscriptionId>:<period>:<attempt>`. */
export function chargeKey(
  entry: Pick<ChargeEntry, 'subscriptionId' | 'period' | 'attempt'>,
): string {
  return `${entry.subscriptionId}:${entry.period}:${entry.attempt}`;
}

/**
 * The idempotency rule of a payment claim: a key claimed before answers with what was stored
 * then, unless the request differs (customer, amount, payment method) — a key is never reused.
 */
export function checkClaim(
  stored: Stored<PaymentRecord>,
  requested: PaymentRecord,
): Stored<PaymentRecord> {
  const a = stored.record;
  const same =
    a.customerId === requested.customerId &&
    a.amount.amountMinor === requested.amount.amountMinor &&
    a.amount.currency === requested.amount.currency &&
    a.paymentMethod === requested.paymentMethod;
  if (!stored.created && !same) {
    throw new ConflictError(
      'payment',
      requested.idempotencyKey,
      'idempotency key reused with a different request',
    );
  }
  return stored;
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

/**
 * A finding after run `runId` observed it at `at`: new, seen again by a later run (open again,
 * first sighting kept), or unchanged when this run already recorded it (a retried check).
 */
export function observedFinding(
  stored: ReconciliationFinding | undefined,
  runId: string,
  observation: FindingObservation,
  at: Date,
): ReconciliationFinding {
  if (stored === undefined) {
    return {
      ...observation,
      status: 'open',
      firstSeenAt: at,
      lastSeenAt: at,
      firstRunId: runId,
      lastRunId: runId,
    };
  }
  if (stored.lastRunId === runId) return stored;
  return {
    ...stored,
    expected: observation.expected,
    actual: observation.actual,
    status: 'open',
    lastSeenAt: at,
    lastRunId: runId,
  };
}
