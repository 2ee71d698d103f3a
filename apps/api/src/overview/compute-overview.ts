import type {
  ChargeEntry,
  Page,
  PageRequest,
  Repository,
  SubscriptionStatus,
} from '@invincible/astra-repo';
import type { OverviewView } from './overview-schemas';

/** How much one overview may read: it is computed from the tables on every request. */
export interface OverviewLimits {
  /** Subscriptions scanned (and ledgers read), at most. */
  readonly maxSubscriptions: number;
  /** Customers scanned (and coupon listings read), at most. */
  readonly maxCustomers: number;
  /** Pages of 100 read from one ledger (charges of a subscription, coupons of a customer). */
  readonly maxPagesPerLedger: number;
  /** Ledgers read at once. */
  readonly concurrency: number;
}

export const DEFAULT_OVERVIEW_LIMITS: OverviewLimits = {
  maxSubscriptions: 2_000,
  maxCustomers: 2_000,
  maxPagesPerLedger: 20,
  concurrency: 8,
};

/** Days in `charges.days`: today (UTC) and the 29 before it. */
export const OVERVIEW_DAYS = 30;
const DAY_MS = 86_400_000;
const PAGE = 100;

type List<T> = (page: PageRequest) => Promise<Page<T>>;

/**
 * Up to `max` items of a listing, and whether that was all of it: it asks for one more than it
 * keeps, so a listing of exactly `max` items is complete.
 */
async function collect<T>(list: List<T>, max: number): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await list({ limit: Math.min(PAGE, max + 1 - items.length), cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && items.length <= max);
  return { items: items.slice(0, max), complete: items.length <= max && cursor === null };
}

/** Folds the items of up to `maxPages` pages of a listing; `complete` if that was all of them. */
async function foldPages<T>(
  list: List<T>,
  maxPages: number,
  step: (item: T) => void,
): Promise<boolean> {
  let cursor: string | null = null;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await list({ limit: PAGE, cursor });
    page.items.forEach(step);
    cursor = page.nextCursor;
    if (cursor === null) return true;
  }
  return false;
}

/** Runs `work` on every item, at most `concurrency` at once; resolves with each result in order. */
async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at] as T);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  return results;
}

/** `YYYY-MM-DD` of a UTC instant. */
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The overview of one tenant as the tables say at `now`: its subscriptions by status, the charge
 * attempts of the last 30 UTC days with what they took per currency, and its customers' coupons.
 * Bounded by `limits` (what was left out makes `scanned.complete` false); the ledgers are read
 * `limits.concurrency` at a time.
 */
export async function computeOverview(
  repository: Pick<Repository, 'customers' | 'subscriptions' | 'charges' | 'coupons'>,
  tenantId: string,
  now: Date,
  limits: OverviewLimits = DEFAULT_OVERVIEW_LIMITS,
): Promise<OverviewView> {
  const [subscriptions, customers] = await Promise.all([
    collect(
      (page) => repository.subscriptions.listByTenant(tenantId, page),
      limits.maxSubscriptions,
    ),
    collect((page) => repository.customers.listByTenant(tenantId, page), limits.maxCustomers),
  ]);

  const byStatus: Record<SubscriptionStatus, number> = {
    trialing: 0,
    active: 0,
    past_due: 0,
    paused: 0,
    canceled: 0,
    completed: 0,
  };
  for (const s of subscriptions.items) if (s.status in byStatus) byStatus[s.status]++;

  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const from = today - (OVERVIEW_DAYS - 1) * DAY_MS;
  const until = today + DAY_MS;
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => ({
    date: utcDay(from + i * DAY_MS),
    succeeded: 0,
    declined: 0,
    revenue: new Map<string, bigint>(),
  }));
  const count = (c: ChargeEntry) => {
    const at = c.occurredAt.getTime();
    if (at < from || at >= until) return;
    const day = days[Math.floor((at - from) / DAY_MS)];
    if (!day) return;
    if (c.outcome === 'succeeded') {
      day.succeeded++;
      const sum = day.revenue.get(c.amount.currency) ?? 0n;
      day.revenue.set(c.amount.currency, sum + BigInt(c.amount.amountMinor));
    } else if (c.outcome === 'declined') day.declined++;
  };
  const coupons = { issued: 0, redeemed: 0 };

  const [ledgers, couponLists] = await Promise.all([
    mapLimit(subscriptions.items, limits.concurrency, (s) =>
      foldPages(
        (page) => repository.charges.listBySubscription(s.id, page),
        limits.maxPagesPerLedger,
        count,
      ),
    ),
    mapLimit(customers.items, limits.concurrency, (c) =>
      foldPages(
        (page) => repository.coupons.listByCustomer(c.id, page),
        limits.maxPagesPerLedger,
        (coupon) => {
          coupons.issued++;
          if (coupon.status === 'redeemed') coupons.redeemed++;
        },
      ),
    ),
  ]);

  return {
    subscriptions: byStatus,
    charges: {
      days: days.map((d) => ({
        date: d.date,
        succeeded: d.succeeded,
        declined: d.declined,
        revenue: [...d.revenue]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([currency, amountMinor]) => ({ currency, amountMinor: Number(amountMinor) })),
      })),
    },
    coupons,
    // Reconciliation is the platform operators' (admin keys): no tenant key sees its findings.
    findings: null,
    scanned: {
      subscriptions: subscriptions.items.length,
      customers: customers.items.length,
      complete:
        subscriptions.complete &&
        customers.complete &&
        ledgers.every(Boolean) &&
        couponLists.every(Boolean),
    },
    asOf: now.toISOString(),
  };
}
