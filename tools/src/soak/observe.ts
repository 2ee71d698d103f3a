/**
 * Reads the source of truth after the soak: the business tables (ledger, gateway record,
 * loyalty ledger, accounts, coupons, outbox) through the repository, and Temporal for workflows
 * that are stuck. Everything is paged; the soak's own ids bound what is read.
 */
import {
  NotFoundError,
  scopedId,
  type Page,
  type PageRequest,
  type Repository,
} from '@invincible/astra-repo';
import type { Client } from '@temporalio/client';
import {
  checkCustomer,
  checkSubscription,
  gatewayKey,
  type ChargeRow,
  type CheckWindow,
  type GatewayRow,
  type Violation,
} from './checks';
import { dueAt, type Knowledge } from './knowledge';

async function all<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1_000; pages++) {
    const page: Page<T> = await list({ limit: 100, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return items;
}

const orNone = <T>(read: Promise<T>): Promise<T | undefined> =>
  read.catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });

/** What the client knows, under the ids the tables store (`<tenant>~<id>`). */
function asStored(k: Knowledge, tenantId: string): Knowledge {
  const id = (local: string) => scopedId(tenantId, local);
  return {
    ...k,
    customers: k.customers.map((c) => ({ ...c, id: id(c.id) })),
    purchases: k.purchases.map((p) => ({ ...p, customerId: id(p.customerId) })),
    subscriptions: k.subscriptions.map((s) => ({
      ...s,
      customerId: id(s.customerId),
      ...(s.id ? { id: id(s.id) } : {}),
    })),
  };
}

export interface Observation {
  readonly violations: Violation[];
  /** Charge lateness: each successful charge's delay after its period's instant. */
  readonly lateness: { readonly at: number; readonly ms: number }[];
  readonly counts: Record<string, number>;
}

/** Every invariant over the tables, for the subscriptions and customers the client made. */
export async function observe(
  repository: Repository,
  known: Knowledge,
  window: CheckWindow,
  couponThreshold: number,
  /** The tenant the soak's key acts in: the tables hold its ids as `<tenant>~<id>`. */
  tenantId: string,
): Promise<Observation> {
  const knowledge = asStored(known, tenantId);
  const violations: Violation[] = [];
  const lateness: { at: number; ms: number }[] = [];
  const counts: Record<string, number> = {
    subscriptions: 0,
    'charges succeeded': 0,
    'charges declined': 0,
    'purchases sent': 0,
    'purchases answered 2xx': 0,
    'purchases without answer': 0,
    'loyalty ledger rows': 0,
    coupons: 0,
    emails: 0,
  };

  const emails = new Map<string, string[]>();
  for (const c of knowledge.customers) {
    const rows = await all((page) => repository.outbox.listByCustomer(c.id, page));
    emails.set(
      c.id,
      rows.map((e) => e.id),
    );
    counts['emails'] = (counts['emails'] ?? 0) + rows.length;
  }

  // The ledger and the gateway's record of every subscription.
  const ledgers = new Map<string, ChargeRow[]>();
  const chargeKeys = new Map<string, string[]>();
  for (const s of knowledge.subscriptions) {
    if (!s.id) continue;
    counts['subscriptions'] = (counts['subscriptions'] ?? 0) + 1;
    const rows = (
      await all((page) => repository.charges.listBySubscription(s.id as string, page))
    ).map((c): ChargeRow => ({
      period: c.period,
      attempt: c.attempt,
      outcome: c.outcome,
      amountMinor: c.amount.amountMinor,
      currency: c.amount.currency,
      occurredAt: c.occurredAt.getTime(),
    }));
    ledgers.set(s.id, rows);
    const keys = chargeKeys.get(s.customerId) ?? [];
    for (const row of rows) {
      if (row.outcome === 'succeeded') {
        keys.push(gatewayKey(s.id, row.period, row.attempt));
        lateness.push({ at: row.occurredAt, ms: row.occurredAt - dueAt(s, row.period) });
      }
      const name = `charges ${row.outcome}`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    chargeKeys.set(s.customerId, keys);
  }

  // Purchases and charge awards, accounts, coupons: per customer.
  const awarded = new Map<string, Set<string>>();
  for (const c of knowledge.customers) {
    const sent = knowledge.purchases.filter((p) => p.customerId === c.id);
    const keys = [
      ...new Set(sent.map((p) => `purchase:${p.purchaseId}`)),
      ...(chargeKeys.get(c.id) ?? []).map((k) => `charge:${k}`),
    ].map((k) => {
      const [source, ...rest] = k.split(':');
      return { source: source as 'purchase' | 'charge', purchaseId: rest.join(':') };
    });
    const rows = new Map<string, { points: number; totalMinor: number }>();
    for (let i = 0; i < keys.length; i += 50) {
      for (const row of await repository.purchases.find(c.id, keys.slice(i, i + 50))) {
        rows.set(`${row.source}:${row.purchaseId}`, {
          points: row.points,
          totalMinor: row.total.amountMinor,
        });
      }
    }
    awarded.set(
      c.id,
      new Set(
        [...rows.keys()]
          .filter((k) => k.startsWith('charge:'))
          .map((k) => k.slice('charge:'.length)),
      ),
    );
    const totals = await repository.purchases.totals(c.id);
    const account = await orNone(repository.loyalty.get(c.id));
    const coupons = await all((page) => repository.coupons.listByCustomer(c.id, page));
    counts['purchases sent'] =
      (counts['purchases sent'] ?? 0) + new Set(sent.map((p) => p.purchaseId)).size;
    counts['loyalty ledger rows'] = (counts['loyalty ledger rows'] ?? 0) + totals.purchases;
    counts['coupons'] = (counts['coupons'] ?? 0) + coupons.length;
    violations.push(
      ...checkCustomer(
        c.id,
        sent,
        chargeKeys.get(c.id) ?? [],
        {
          rows,
          totals,
          account,
          couponIds: coupons.map((x) => x.id),
          emailIds: new Set(emails.get(c.id) ?? []),
        },
        couponThreshold,
      ),
    );
  }
  const answered = knowledge.purchases.filter((p) => p.status !== undefined && p.status < 300);
  counts['purchases answered 2xx'] = new Set(answered.map((p) => p.purchaseId)).size;
  counts['purchases without answer'] = new Set(
    knowledge.purchases.filter((p) => p.status === undefined).map((p) => p.purchaseId),
  ).size;

  for (const s of knowledge.subscriptions) {
    if (!s.id) continue;
    const ledger = ledgers.get(s.id) ?? [];
    // The gateway's books: every key the ledger names, and period keys past the ledger's end
    // up to the last elapsed period (a charge the ledger never heard of).
    const probe = new Set(ledger.map((r) => gatewayKey(s.id as string, r.period, r.attempt)));
    for (let period = 1; dueAt(s, period) <= window.settledAt + 1_000 && period < 10_000; period++)
      probe.add(gatewayKey(s.id, period, 1));
    const gateway: GatewayRow[] = [];
    for (const key of probe) {
      const record = await orNone(repository.payments.get(key));
      if (record)
        gateway.push({
          key,
          status: record.status,
          amountMinor: record.amount.amountMinor,
          currency: record.amount.currency,
        });
    }
    const projection = await orNone(repository.subscriptions.get(s.id));
    violations.push(
      ...checkSubscription(
        s,
        {
          ledger,
          gateway,
          anchorAt: projection?.anchorAt.getTime(),
          emailIds: (emails.get(s.customerId) ?? []).filter((e) => e.startsWith(`${s.id}:`)),
          awardedCharges: awarded.get(s.customerId) ?? new Set(),
        },
        window,
      ),
    );
  }
  return { violations, lateness, counts };
}

/**
 * Workflows that cannot make progress: a workflow task failing again and again, or an activity
 * retried past `maxAttempts` (the soak's gateway fails 1 in 5 calls: 8 in a row is a bug).
 */
export async function stuckWorkflows(client: Client, maxAttempts: number): Promise<Violation[]> {
  const out: Violation[] = [];
  let seen = 0;
  for await (const info of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    if (++seen > 5_000) break;
    const { raw } = await client.workflow.getHandle(info.workflowId, info.runId).describe();
    const task = raw.pendingWorkflowTask;
    if (task && (task.attempt ?? 0) > 2)
      out.push({
        invariant: 'no workflow stuck',
        entity: info.workflowId,
        detail: `workflow task attempt ${task.attempt}`,
      });
    for (const activity of raw.pendingActivities ?? []) {
      if ((activity.attempt ?? 0) > maxAttempts)
        out.push({
          invariant: 'no workflow stuck',
          entity: info.workflowId,
          detail: `${activity.activityType?.name ?? 'activity'} attempt ${activity.attempt}: ${activity.lastFailure?.message ?? ''}`,
        });
    }
  }
  return out;
}
