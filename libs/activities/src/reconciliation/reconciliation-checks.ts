/**
 * The comparisons of reconciliation as pure functions: each takes what two sources of truth say
 * and returns the drift between them as finding observations (none when they agree). No I/O, so
 * every rule is unit-tested without a database or a server.
 */
import type {
  ChargeEntry,
  FindingObservation,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  SubscriptionProjection,
} from '@invincible/astra-repo';
import {
  chargeIdempotencyKey,
  type FindingKind,
  type SubscriptionState,
} from '@invincible/workflows';
// Reconciliation audits both domains: it recomputes loyalty's balances by loyalty's own rules.
import { balanceOf, couponsOwed } from '@invincible/workflows/loyalty/rules';

/** A finding of `kind` about `subjectId`: its key is both, so the same drift is the same row. */
export function finding(
  kind: FindingKind,
  subjectId: string,
  customerId: string | null,
  expected: string,
  actual: string,
): FindingObservation {
  return { key: `${kind}:${subjectId}`, kind, subjectId, customerId, expected, actual };
}

const money = (m: { amountMinor: number; currency: string }) => `${m.amountMinor} ${m.currency}`;

/**
 * A ledger row against the provider's record of its idempotency key. Only a succeeded charge is
 * owed a payment; a decline or a failure recorded in the ledger needs none.
 */
export function compareChargeWithPayment(
  charge: ChargeEntry,
  payment: PaymentRecord | undefined,
): FindingObservation[] {
  if (charge.outcome !== 'succeeded') return [];
  const key = chargeIdempotencyKey(charge.subscriptionId, charge.period, charge.attempt);
  const ledger = `succeeded ${money(charge.amount)} for ${charge.customerId}`;
  if (payment === undefined || payment.status !== 'succeeded') {
    return [
      finding(
        'charge_without_payment',
        key,
        charge.customerId,
        ledger,
        payment === undefined ? 'no payment at the provider' : `${payment.status} at the provider`,
      ),
    ];
  }
  const provider = `succeeded ${money(payment.amount)} for ${payment.customerId}`;
  return provider === ledger
    ? []
    : [finding('charge_payment_mismatch', key, charge.customerId, ledger, provider)];
}

/** The (subscription, period, attempt) of a charge's idempotency key, or null if it is not one. */
export function parseChargeKey(
  key: string,
): { subscriptionId: string; period: number; attempt: number } | null {
  const parts = key.split(':');
  if (parts.length < 2 || parts.length > 3) return null;
  const [subscriptionId = '', period = '', attempt = '1'] = parts;
  if (!/^[1-9][0-9]{0,6}$/.test(period) || !/^[1-9][0-9]{0,6}$/.test(attempt)) return null;
  return { subscriptionId, period: Number(period), attempt: Number(attempt) };
}

/**
 * A provider record against the ledger: a successful charge at the provider must be in the ledger
 * as succeeded, once its grace period (the moment between the charge and the ledger write) is
 * over. Declines and voided keys are not money.
 */
export function comparePaymentWithCharge(
  payment: PaymentRecord,
  charge: ChargeEntry | undefined,
  now: Date,
  graceMs: number,
): FindingObservation[] {
  if (payment.status !== 'succeeded') return [];
  const provider = `succeeded ${money(payment.amount)} for ${payment.customerId}`;
  if (charge === undefined) {
    if (now.getTime() - payment.createdAt.getTime() < graceMs) return [];
    return [
      finding(
        'payment_without_charge',
        payment.idempotencyKey,
        payment.customerId,
        provider,
        'no charge in the ledger',
      ),
    ];
  }
  if (charge.outcome !== 'succeeded') {
    return [
      finding(
        'charge_payment_mismatch',
        payment.idempotencyKey,
        payment.customerId,
        provider,
        `${charge.outcome} in the ledger`,
      ),
    ];
  }
  return []; // amounts are compared from the ledger's side
}

/**
 * Successful charges of one subscription, in (period, attempt) order (one page at a time:
 * `previous` is the last succeeded period of the page before): a period charged twice.
 */
export function duplicateCharges(
  charges: readonly ChargeEntry[],
  previous: { period: number; attempt: number } | null,
): { findings: FindingObservation[]; last: { period: number; attempt: number } | null } {
  const findings: FindingObservation[] = [];
  let last = previous;
  for (const c of charges) {
    if (c.outcome !== 'succeeded') continue;
    if (last !== null && last.period === c.period) {
      findings.push(
        finding(
          'duplicate_charge',
          `${c.subscriptionId}:${c.period}`,
          c.customerId,
          'one successful charge',
          `attempts ${last.attempt} and ${c.attempt} succeeded`,
        ),
      );
    }
    last = { period: c.period, attempt: c.attempt };
  }
  return { findings, last };
}

const LIVE = new Set(['trialing', 'active', 'past_due', 'paused']);

/**
 * What Temporal says of a subscription's workflow: not found, closed (with its status name), or
 * running with its queried state.
 */
export type WorkflowView =
  | { readonly kind: 'missing' }
  | { readonly kind: 'closed'; readonly status: string }
  | { readonly kind: 'running'; readonly state: SubscriptionState }
  | { readonly kind: 'unanswered'; readonly reason: string };

/**
 * A projection against its workflow. The projection trails the workflow by design (it is saved
 * after each change), so a running workflow's state is compared only when the versions are equal
 * or the projection has trailed for longer than `graceMs`.
 */
export function compareProjection(
  projection: SubscriptionProjection,
  workflow: WorkflowView,
  now: Date,
  graceMs: number,
): FindingObservation[] {
  const live = LIVE.has(projection.status);
  const say = `${projection.status} (version ${projection.version})`;
  if (workflow.kind === 'missing') {
    // A finished subscription's workflow may be gone past Temporal's retention: that is fine.
    return live
      ? [
          finding(
            'projection_workflow_missing',
            projection.id,
            projection.customerId,
            'a workflow',
            `no workflow; projection says ${say}`,
          ),
        ]
      : [];
  }
  if (workflow.kind === 'closed') {
    return live
      ? [
          finding(
            'projection_workflow_mismatch',
            projection.id,
            projection.customerId,
            `workflow ${workflow.status.toLowerCase()}`,
            `projection says ${say}`,
          ),
        ]
      : [];
  }
  if (workflow.kind === 'unanswered') {
    return [
      finding(
        'workflow_unanswered',
        projection.id,
        projection.customerId,
        'a running workflow that answers its status query',
        `no answer: ${workflow.reason}`,
      ),
    ];
  }
  const state = workflow.state;
  const trailing = projection.version < state.version;
  if (trailing && now.getTime() - projection.updatedAt.getTime() < graceMs) return [];
  const expected = `${state.status}, ${money(state.price)}, ${state.periodsBilled} billed (version ${state.version})`;
  const actual = `${projection.status}, ${money(projection.price)}, ${projection.periodsBilled} billed (version ${projection.version})`;
  const differs =
    trailing ||
    state.status !== projection.status ||
    state.price.amountMinor !== projection.price.amountMinor ||
    state.price.currency !== projection.price.currency ||
    state.periodsBilled !== projection.periodsBilled;
  return differs
    ? [
        finding(
          'projection_workflow_mismatch',
          projection.id,
          projection.customerId,
          expected,
          actual,
        ),
      ]
    : [];
}

/**
 * A loyalty account against its ledger (Σ points of the customer's rows) and coupons table: the
 * lifetime points are the sum, the balance what is left after a coupon per `threshold`, and the
 * coupons issued exactly floor(Σ / threshold).
 */
export function compareLoyalty(
  account: LoyaltyAccount,
  ledgerPoints: number,
  couponsStored: number,
  threshold: number,
): FindingObservation[] {
  const findings: FindingObservation[] = [];
  const balance = balanceOf(ledgerPoints, threshold);
  if (account.lifetimePoints !== ledgerPoints || account.balance !== balance) {
    findings.push(
      finding(
        'loyalty_points_mismatch',
        account.customerId,
        account.customerId,
        `lifetime ${ledgerPoints}, balance ${balance} (from the ledger)`,
        `lifetime ${account.lifetimePoints}, balance ${account.balance}`,
      ),
    );
  }
  const owed = couponsOwed(ledgerPoints, threshold);
  if (couponsStored !== owed || account.couponsIssued !== owed) {
    findings.push(
      finding(
        'coupons_mismatch',
        account.customerId,
        account.customerId,
        `${owed} coupons (floor(${ledgerPoints} / ${threshold}))`,
        `${couponsStored} stored, ${account.couponsIssued} on the account`,
      ),
    );
  }
  return findings;
}

/**
 * Successful charges past the grace period that have no `charge` row in the customer's points
 * ledger (`awarded`: the purchase ids of those that do). Awards travel by signal, and a
 * terminated loyalty program drops the signals it had not processed: this finds them.
 */
export function missingAwards(
  charges: readonly ChargeEntry[],
  awarded: ReadonlySet<string>,
  now: Date,
  graceMs: number,
): FindingObservation[] {
  return charges
    .filter((c) => c.outcome === 'succeeded' && now.getTime() - c.occurredAt.getTime() >= graceMs)
    .map((c) => ({ c, key: chargeIdempotencyKey(c.subscriptionId, c.period, c.attempt) }))
    .filter(({ key }) => !awarded.has(key))
    .map(({ c, key }) =>
      finding(
        'charge_award_missing',
        key,
        c.customerId,
        `a charge row in the points ledger for ${money(c.amount)}`,
        'none',
      ),
    );
}

/** A pending email older than the bound is stuck. */
export function stuckEmail(email: OutboxEmail, now: Date, boundMs: number): FindingObservation[] {
  if (email.status !== 'pending' || now.getTime() - email.createdAt.getTime() < boundMs) return [];
  return [
    finding(
      'outbox_stuck',
      email.id,
      email.customerId,
      `sent within ${Math.round(boundMs / 60_000)} min`,
      `pending since ${email.createdAt.toISOString()}`,
    ),
  ];
}
