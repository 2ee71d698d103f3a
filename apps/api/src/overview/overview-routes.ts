import type { Repository } from '@invincible/astra-repo';
import { defineRoute, type RouteSpec } from '../http/route';
import { computeOverview, DEFAULT_OVERVIEW_LIMITS, type OverviewLimits } from './compute-overview';
import { overviewSchema, type OverviewView } from './overview-schemas';

export interface OverviewDeps {
  readonly repository: Pick<Repository, 'customers' | 'subscriptions' | 'charges' | 'coupons'>;
  readonly now: () => Date;
  readonly overviewLimits?: OverviewLimits;
  /** How long one tenant's figures are answered again before they are read anew. Default 10 s. */
  readonly overviewCacheMs?: number;
}

/** Tenants whose figures are kept at once (the oldest goes first). */
const CACHED_TENANTS = 1_000;

/**
 * One tenant's figures, computed at most once per `ttlMs` and once at a time: each open console
 * polls the overview, and each computation reads up to thousands of ledgers. A failed
 * computation is not kept. `asOf` in the answer says how old it is.
 */
function overviewCache(ttlMs: number, now: () => Date) {
  const entries = new Map<
    string,
    { readonly at: number; readonly figures: Promise<OverviewView> }
  >();
  return (tenantId: string, compute: () => Promise<OverviewView>): Promise<OverviewView> => {
    const t = now().getTime();
    const kept = entries.get(tenantId);
    if (kept && t - kept.at < ttlMs) return kept.figures;
    const figures = compute();
    entries.delete(tenantId);
    entries.set(tenantId, { at: t, figures });
    if (entries.size > CACHED_TENANTS) entries.delete(entries.keys().next().value as string);
    figures.catch(() => {
      if (entries.get(tenantId)?.figures === figures) entries.delete(tenantId);
    });
    return figures;
  };
}

/** `GET /v1/overview`: the operator console's first screen. */
export function overviewRoutes(deps: OverviewDeps): RouteSpec[] {
  const limits = deps.overviewLimits ?? DEFAULT_OVERVIEW_LIMITS;
  const cacheMs = deps.overviewCacheMs ?? 10_000;
  const cached = overviewCache(cacheMs, deps.now);
  return [
    defineRoute({
      method: 'get',
      path: '/v1/overview',
      operationId: 'getOverview',
      summary: "The account's figures: subscriptions, the last 30 days of charges, coupons",
      description: `Computed from the stored tables (subscriptions as last projected, the charge ledgers, the coupons): subscriptions by status, each of the last 30 UTC days with its succeeded and declined charge attempts and what they took per currency, and coupons issued and redeemed. It reads at most ${limits.maxSubscriptions} subscriptions and ${limits.maxCustomers} customers, ${limits.concurrency} ledgers at a time; \`scanned.complete\` is false when that was not all of them. The same figures are answered for ${cacheMs / 1_000} s (\`asOf\` says when they were read).`,
      tag: 'overview',
      access: { permission: 'subscriptions:read' },
      responses: { 200: { description: 'The figures', schema: overviewSchema } },
      handle: async ({ tenant }) => ({
        status: 200,
        body: await cached(tenant.tenantId, () =>
          computeOverview(deps.repository, tenant.tenantId, deps.now(), limits),
        ),
      }),
    }),
  ];
}
