import type { Repository } from '@invincible/astra-repo';
import { defineRoute, type RouteSpec } from '../http/route';
import { computeOverview, DEFAULT_OVERVIEW_LIMITS, type OverviewLimits } from './compute-overview';
import { overviewSchema } from './overview-schemas';

export interface OverviewDeps {
  readonly repository: Pick<Repository, 'customers' | 'subscriptions' | 'charges' | 'coupons'>;
  readonly now: () => Date;
  readonly overviewLimits?: OverviewLimits;
}

/** `GET /v1/overview`: the operator console's first screen. */
export function overviewRoutes(deps: OverviewDeps): RouteSpec[] {
  const limits = deps.overviewLimits ?? DEFAULT_OVERVIEW_LIMITS;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/overview',
      operationId: 'getOverview',
      summary: "The account's figures: subscriptions, the last 30 days of charges, coupons",
      description: `Computed from the stored tables on each request (subscriptions as last projected, the charge ledgers, the coupons): subscriptions by status, each of the last 30 UTC days with its succeeded and declined charge attempts and what they took per currency, and coupons issued and redeemed. It reads at most ${limits.maxSubscriptions} subscriptions and ${limits.maxCustomers} customers, ${limits.concurrency} ledgers at a time; \`scanned.complete\` is false when that was not all of them.`,
      tag: 'overview',
      access: { permission: 'subscriptions:read' },
      responses: { 200: { description: 'The figures', schema: overviewSchema } },
      handle: async ({ tenant }) => ({
        status: 200,
        body: await computeOverview(deps.repository, tenant.tenantId, deps.now(), limits),
      }),
    }),
  ];
}
