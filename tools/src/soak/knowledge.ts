/**
 * What the soak's client knows for sure — what it asked for and what the API answered — and
 * nothing the workflows say on their own. The checks hold the tables against it.
 */

export type Card =
  'pm_card_visa' | 'pm_card_mastercard' | 'pm_card_declined' | 'pm_card_declined_once';

export interface PurchaseSent {
  readonly customerId: string;
  readonly purchaseId: string;
  readonly total: number;
  readonly currency: string;
  /** The definitive answer's status (2xx when counted or counted before), or undefined if none came. */
  status?: number;
  /** Epoch ms of the first send, and how long until the definitive answer. */
  readonly sentAt: number;
  latencyMs?: number;
}

export interface SubscriptionKnown {
  readonly key: string;
  readonly customerId: string;
  readonly card: Card;
  readonly price: number;
  readonly currency: string;
  readonly startAt: number;
  readonly periodSeconds: number;
  /** Known once the create got its answer. */
  id?: string;
  /** Price changes the API accepted: the new price from `fromPeriod` on. */
  readonly priceChanges: { readonly price: number; readonly fromPeriod: number }[];
  /**
   * A pause the API accepted (its instant, from the answer) and, once resumed, when the resume
   * was first sent and when it was answered: the workflow resumed somewhere in between.
   */
  pause?: { pausedAt: number; resume?: { sentAt: number; answeredAt: number } };
  /** A cancel the API accepted: nothing is charged from `effectiveAt` on. */
  cancel?: { readonly mode: 'now' | 'at_period_end'; readonly effectiveAt: number };
}

export interface Knowledge {
  readonly customers: { readonly id: string; readonly hot: boolean }[];
  readonly purchases: PurchaseSent[];
  readonly subscriptions: SubscriptionKnown[];
  /** Requests that never got a definitive answer (their effect is unknown). */
  readonly gaveUp: { readonly route: string; readonly at: number }[];
  /** Answers outside the contract of the route (a 4xx the client did not provoke, a bad body). */
  readonly surprises: {
    readonly route: string;
    readonly status: number;
    readonly detail: string;
  }[];
}

export function emptyKnowledge(): Knowledge {
  return { customers: [], purchases: [], subscriptions: [], gaveUp: [], surprises: [] };
}

/** Period n's charge instant: the anchor plus n − 1 periods (UTC, whole seconds: no calendar). */
export function dueAt(
  s: Pick<SubscriptionKnown, 'startAt' | 'periodSeconds'>,
  period: number,
): number {
  return s.startAt + (period - 1) * s.periodSeconds * 1_000;
}

/** The price period n is billed at, from the price changes the API accepted. */
export function priceOf(s: SubscriptionKnown, period: number): number {
  let price = s.price;
  let from = 0;
  for (const change of s.priceChanges) {
    if (change.fromPeriod <= period && change.fromPeriod >= from) {
      price = change.price;
      from = change.fromPeriod;
    }
  }
  return price;
}

/**
 * Points of a USD amount (the soak's only currency): 100 per dollar, rounded down to a point —
 * with 2 decimals, one point per cent.
 */
export function pointsOf(totalMinor: number): number {
  return Math.floor((totalMinor * 100) / 100);
}
