import type { Money } from '@invincible/money';
import type { ChargeOutcome, PaymentLookup } from '@invincible/workflows/billing/contract';

export interface ChargeRequest {
  readonly idempotencyKey: string;
  readonly customerId: string;
  readonly paymentMethod: string;
  readonly amount: Money;
}

/**
 * A payment provider. `charge` is idempotent by `idempotencyKey` for at least 24 hours (the
 * workflow's retry window of one attempt is 12 hours): the same key returns the first result
 * and never charges twice. A decline is a result; a transient failure (timeout, provider
 * unavailable) throws `PaymentUnavailableError`, and the charge is retried.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * What the provider knows of `request.idempotencyKey`: the first result stored for it, or
   * `not_found` — and then the key is void: a request under it that arrives later (a timed-out
   * attempt still on the wire) can no longer charge. Throws `PaymentUnavailableError` while the
   * provider cannot answer: an unknown outcome is never reported as a decline.
   */
  lookup(request: ChargeRequest): Promise<PaymentLookup>;
}

/** The provider could not be reached or failed transiently: retrying can succeed. */
export class PaymentUnavailableError extends Error {
  override readonly name = 'PaymentUnavailableError';
}
