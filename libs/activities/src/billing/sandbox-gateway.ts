import { createHash } from 'node:crypto';
import { NotFoundError, type PaymentsPort, type PaymentRecord } from '@invincible/astra-repo';
import type { ChargeOutcome } from '@invincible/workflows';
import {
  PaymentUnavailableError,
  type ChargeRequest,
  type PaymentGateway,
} from './payment-gateway';

/**
 * The sandbox's test payment methods, like a card processor's test mode.
 * - `pm_card_visa`, `pm_card_mastercard`: approved.
 * - `pm_card_declined`: declined (`card_declined`).
 * - `pm_card_insufficient_funds`: declined (`insufficient_funds`).
 * - `pm_card_declined_once`: declines every first attempt of a period, approves its retries
 *   (dunning that recovers).
 * - `pm_card_outage`: the provider is unavailable (a transient error, retried forever).
 * Anything else is declined as `invalid_payment_method`.
 */
export const SANDBOX_PAYMENT_METHODS = [
  'pm_card_visa',
  'pm_card_mastercard',
  'pm_card_declined',
  'pm_card_insufficient_funds',
  'pm_card_declined_once',
  'pm_card_outage',
] as const;

export interface SandboxGatewayOptions {
  /** Where idempotency keys are kept: the repository, so they survive worker restarts. */
  readonly payments: PaymentsPort;
  /** Share of charges that fail transiently before reaching the "provider" (demos, chaos). */
  readonly failureRate?: number;
  /**
   * Delay after the charge is recorded and before the answer returns: the window in which a
   * crashed worker leaves a charge applied but unacknowledged (chaos tests, demos).
   */
  readonly latencyMs?: number;
  readonly random?: () => number;
  readonly now?: () => Date;
}

function decide(
  request: ChargeRequest,
): { status: 'succeeded' } | { status: 'declined'; declineCode: string } {
  switch (request.paymentMethod) {
    case 'pm_card_visa':
    case 'pm_card_mastercard':
      return { status: 'succeeded' };
    case 'pm_card_declined':
      return { status: 'declined', declineCode: 'card_declined' };
    case 'pm_card_insufficient_funds':
      return { status: 'declined', declineCode: 'insufficient_funds' };
    case 'pm_card_declined_once':
      // First attempts carry `<subscriptionId>:<period>`, retries add `:<attempt>`.
      return request.idempotencyKey.split(':').length <= 2
        ? { status: 'declined', declineCode: 'card_declined' }
        : { status: 'succeeded' };
    default:
      return { status: 'declined', declineCode: 'invalid_payment_method' };
  }
}

/** The decline code of a key voided by a lookup that did not find it (see `PaymentGateway.lookup`). */
export const VOIDED_DECLINE_CODE = 'voided_unknown_outcome';

function outcomeOf(record: PaymentRecord): ChargeOutcome {
  return record.status === 'succeeded'
    ? { status: 'succeeded', providerRef: record.providerRef }
    : {
        status: 'declined',
        providerRef: record.providerRef,
        declineCode: record.declineCode ?? 'card_declined',
      };
}

/** A local payment gateway that behaves like a card processor's test mode, idempotently. */
export function createSandboxGateway(options: SandboxGatewayOptions): PaymentGateway {
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const failureRate = options.failureRate ?? 0;
  return {
    async charge(request) {
      if (request.paymentMethod === 'pm_card_outage' || random() < failureRate) {
        throw new PaymentUnavailableError('sandbox: payment provider unavailable');
      }
      const decision = decide(request);
      const providerRef = `ch_sandbox_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 20)}`;
      // The first result stored for a key is the result, forever: a retry never charges twice.
      const { record } = await options.payments.claim({
        idempotencyKey: request.idempotencyKey,
        customerId: request.customerId,
        amount: request.amount,
        paymentMethod: request.paymentMethod,
        status: decision.status,
        providerRef,
        declineCode: decision.status === 'declined' ? decision.declineCode : null,
        createdAt: now(),
      });
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      return outcomeOf(record);
    },

    async lookup(request) {
      try {
        const known = await options.payments.get(request.idempotencyKey);
        // Voided by an earlier lookup whose answer was lost: still not found.
        if (known.declineCode === VOIDED_DECLINE_CODE) return { status: 'not_found' };
        return outcomeOf(known);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      // Unknown: void the key with a claim of its own, so that a charge under it arriving later
      // answers this void instead of charging. If a charge won the race, its result is the answer.
      const { record, created } = await options.payments.claim({
        idempotencyKey: request.idempotencyKey,
        customerId: request.customerId,
        amount: request.amount,
        paymentMethod: request.paymentMethod,
        status: 'declined',
        providerRef: `void_sandbox_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 20)}`,
        declineCode: VOIDED_DECLINE_CODE,
        createdAt: now(),
      });
      if (created || record.declineCode === VOIDED_DECLINE_CODE) return { status: 'not_found' };
      return outcomeOf(record);
    },
  };
}
