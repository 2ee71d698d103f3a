/**
 * The soak's invariants, as pure functions: what the client knows (its requests and the API's
 * answers) against what the tables and the payment gateway's record hold. Nothing here asks a
 * workflow what it believes.
 */
import { dueAt, pointsOf, priceOf, type PurchaseSent, type SubscriptionKnown } from './knowledge';

export interface Violation {
  readonly invariant: string;
  readonly entity: string;
  readonly detail: string;
}

export interface ChargeRow {
  readonly period: number;
  readonly attempt: number;
  readonly outcome: 'succeeded' | 'declined' | 'failed';
  readonly amountMinor: number;
  readonly currency: string;
  readonly occurredAt: number;
}

export interface GatewayRow {
  readonly key: string;
  readonly status: 'succeeded' | 'declined';
  readonly amountMinor: number;
  readonly currency: string;
}

export interface SubscriptionObserved {
  /** The charge ledger, every attempt. */
  readonly ledger: readonly ChargeRow[];
  /** The gateway's records of this subscription's idempotency keys (probed past the ledger too). */
  readonly gateway: readonly GatewayRow[];
  /** The stored projection's anchor (period 1's instant), if a projection was stored. */
  readonly anchorAt: number | undefined;
  /** Ids of the customer's outbox emails that belong to this subscription. */
  readonly emailIds: readonly string[];
  /** The charge awards in the customer's loyalty ledger (their purchaseIds). */
  readonly awardedCharges: ReadonlySet<string>;
}

/** The charge's key at the gateway (and its purchaseId in the loyalty ledger). */
export function gatewayKey(subscriptionId: string, period: number, attempt: number): string {
  return attempt === 1 ? `${subscriptionId}:${period}` : `${subscriptionId}:${period}:${attempt}`;
}

const APPROVING = new Set(['pm_card_visa', 'pm_card_mastercard']);

export interface CheckWindow {
  /** When the soak stopped waiting: periods due by then minus `graceMs` must be charged. */
  readonly settledAt: number;
  readonly graceMs: number;
}

/**
 * One successful charge per elapsed (subscription, period), none after the cancel's effective
 * instant or inside a pause, each at its price, each at the gateway under its key and awarded
 * once in the loyalty ledger, one receipt each, one cancellation email per cancel.
 */
export function checkSubscription(
  s: SubscriptionKnown,
  o: SubscriptionObserved,
  window: CheckWindow,
): Violation[] {
  const id = s.id;
  if (!id) return [];
  const out: Violation[] = [];
  const v = (invariant: string, detail: string) => out.push({ invariant, entity: id, detail });
  const end = s.cancel?.effectiveAt ?? Infinity;
  // Periods due from the pause to the resume are skipped; the resume happened between its first
  // send and its answer, so a period due in that span may go either way.
  const pausedAt = s.pause?.pausedAt ?? Infinity;
  const resumeFrom = s.pause?.resume?.sentAt ?? Infinity;
  const resumeTo = s.pause?.resume?.answeredAt ?? Infinity;
  const inPause = (due: number) => due >= pausedAt && due < resumeFrom;
  const maybePaused = (due: number) => due >= pausedAt && due <= resumeTo;

  if (o.anchorAt !== undefined && o.anchorAt !== s.startAt)
    v('anchor as asked', `anchor ${iso(o.anchorAt)}, asked ${iso(s.startAt)}`);

  const succeeded = new Map<number, ChargeRow[]>();
  for (const row of o.ledger) {
    if (row.outcome !== 'succeeded') continue;
    succeeded.set(row.period, [...(succeeded.get(row.period) ?? []), row]);
  }
  const gateway = new Map(o.gateway.map((g) => [g.key, g]));
  const matched = new Set<string>();
  for (const row of o.ledger) {
    const key = gatewayKey(id, row.period, row.attempt);
    const at = gateway.get(key);
    if (row.outcome === 'failed') continue; // never reached the gateway's books
    matched.add(key);
    if (!at) v('ledger ↔ gateway', `${key}: ${row.outcome} in the ledger, unknown to the gateway`);
    else if (at.status !== row.outcome || at.amountMinor !== row.amountMinor)
      v(
        'ledger ↔ gateway',
        `${key}: ledger ${row.outcome} ${row.amountMinor}, gateway ${at.status} ${at.amountMinor}`,
      );
  }
  for (const g of o.gateway) {
    if (!matched.has(g.key))
      v('ledger ↔ gateway', `${g.key}: ${g.status} at the gateway, not in the ledger`);
  }

  for (const [period, rows] of succeeded) {
    const due = dueAt(s, period);
    if (rows.length > 1)
      v('one charge per period', `period ${period} charged ${rows.length} times`);
    if (!APPROVING.has(s.card)) v('declines never charged', `period ${period} with ${s.card}`);
    if (due >= end) v('nothing after cancel', `period ${period} due ${iso(due)} ≥ ${iso(end)}`);
    if (inPause(due)) v('nothing inside a pause', `period ${period} due ${iso(due)}`);
    if (due > window.settledAt) v('nothing before due', `period ${period} due ${iso(due)}`);
    for (const row of rows) {
      if (row.amountMinor !== priceOf(s, period) || row.currency !== s.currency)
        v(
          'charged at its price',
          `period ${period}: ${row.amountMinor}, price ${priceOf(s, period)}`,
        );
      if (!o.awardedCharges.has(gatewayKey(id, period, row.attempt)))
        v('points for every charge', `period ${period} attempt ${row.attempt} not awarded`);
      if (!o.emailIds.includes(`${id}:receipt:${period}`))
        v('one email per event', `no receipt for period ${period}`);
    }
  }
  for (const emailId of o.emailIds) {
    const receipt = /:receipt:(\d+)$/.exec(emailId);
    if (receipt && !succeeded.has(Number(receipt[1])))
      v('one email per event', `receipt ${emailId} for a period not charged`);
  }
  const cancelEmails = o.emailIds.filter((e) => /:(trial_)?canceled:/.test(e)).length;
  if (cancelEmails !== (s.cancel ? 1 : 0))
    v('one email per event', `${cancelEmails} cancellation emails, ${s.cancel ? 1 : 0} cancel`);

  const horizon = Math.min(end, window.settledAt - window.graceMs);
  if (APPROVING.has(s.card)) {
    for (let period = 1; dueAt(s, period) < horizon; period++) {
      if (!maybePaused(dueAt(s, period)) && !succeeded.has(period))
        v('every elapsed period charged', `period ${period} due ${iso(dueAt(s, period))}`);
    }
  } else if (dueAt(s, 1) < horizon) {
    const first = o.ledger.find((r) => r.period === 1 && r.attempt === 1);
    if (first?.outcome !== 'declined')
      v('declines recorded', `period 1 with ${s.card}: ${first?.outcome ?? 'no attempt'}`);
  }
  return out;
}

export interface CustomerObserved {
  /** Ledger rows found for the keys asked (`purchase:<id>`, `charge:<id>`), with their points. */
  readonly rows: ReadonlyMap<string, { readonly points: number; readonly totalMinor: number }>;
  /** Every row of the customer's ledger, counted by the table. */
  readonly totals: { readonly purchases: number; readonly points: number };
  readonly account:
    | { readonly balance: number; readonly lifetimePoints: number; readonly couponsIssued: number }
    | undefined;
  readonly couponIds: readonly string[];
  readonly emailIds: ReadonlySet<string>;
}

/**
 * Every purchase the API accepted is in the ledger once, with its points; nothing else is; the
 * account and the coupons follow from the ledger's sum: balance = lifetime mod threshold, one
 * coupon (and one email) per crossing.
 */
export function checkCustomer(
  customerId: string,
  sent: readonly PurchaseSent[],
  chargeKeys: readonly string[],
  o: CustomerObserved,
  threshold: number,
): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: string, detail: string) =>
    out.push({ invariant, entity: customerId, detail });
  const ids = new Set<string>();
  for (const p of sent) {
    if (ids.has(p.purchaseId)) continue;
    ids.add(p.purchaseId);
    const row = o.rows.get(`purchase:${p.purchaseId}`);
    const accepted = p.status !== undefined && p.status >= 200 && p.status < 300;
    if (accepted && !row)
      v('every purchase counted', `${p.purchaseId} answered ${p.status}, not in the ledger`);
    if (row && row.points !== pointsOf(p.total))
      v('points per purchase', `${p.purchaseId}: ${row.points} points for ${p.total}`);
    if (row && row.totalMinor !== p.total)
      v('points per purchase', `${p.purchaseId}: total ${row.totalMinor}, sent ${p.total}`);
  }
  for (const key of chargeKeys) {
    if (!o.rows.has(`charge:${key}`))
      v('points for every charge', `charge ${key} not in the ledger`);
  }
  let found = 0;
  let points = 0;
  for (const row of o.rows.values()) {
    found++;
    points += row.points;
  }
  if (o.totals.purchases !== found || o.totals.points !== points)
    v(
      'nothing counted twice or unasked',
      `ledger holds ${o.totals.purchases} rows / ${o.totals.points} points; the client's ${found} / ${points}`,
    );
  const lifetime = o.totals.points;
  const owed = Math.floor(lifetime / threshold);
  if (o.account) {
    if (o.account.lifetimePoints !== lifetime)
      v('balance = Σ ledger', `account lifetime ${o.account.lifetimePoints}, ledger ${lifetime}`);
    if (o.account.balance !== lifetime - owed * threshold)
      v(
        'balance = Σ ledger',
        `balance ${o.account.balance}, ledger says ${lifetime - owed * threshold}`,
      );
    if (o.account.couponsIssued !== owed)
      v('one coupon per crossing', `account says ${o.account.couponsIssued} coupons, owed ${owed}`);
  } else if (lifetime > 0) {
    v('balance = Σ ledger', `no account for ${lifetime} points`);
  }
  const expected = Array.from({ length: owed }, (_, i) => `${customerId}:${i + 1}`);
  const have = new Set(o.couponIds);
  if (o.couponIds.length !== owed || expected.some((id) => !have.has(id)))
    v('one coupon per crossing', `${o.couponIds.length} coupons, owed ${owed}`);
  for (const id of o.couponIds) {
    if (!o.emailIds.has(`${id}:coupon`)) v('one email per event', `no email for coupon ${id}`);
  }
  return out;
}

export interface StatusHistogram {
  readonly [status: string]: number;
}

/** No 500 ever; everything else (503 in an outage, network errors while the API is down) is fine. */
export function checkStatuses(histogram: StatusHistogram): Violation[] {
  return Object.entries(histogram)
    .filter(([status]) => status !== 'network' && Number(status) >= 500 && Number(status) !== 503)
    .map(([status, count]) => ({
      invariant: 'no 5xx but 503',
      entity: 'http',
      detail: `${count} × ${status}`,
    }));
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : '∞');
