import type { Customer, CustomersPort } from '@invincible/astra-repo';
import { localId } from '@invincible/astra-repo';
import { listPage, type Cursors } from '../http/cursors';
import { customerView, type CustomerView } from './customer-schemas';

/**
 * Reads of the tenant's listing one search request may make: each reads at most the items still
 * missing from the page, so a search reads at most `SEARCH_READS × limit` customers.
 */
export const SEARCH_READS = 10;

export interface ListCustomersQuery {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
  readonly q?: string | undefined;
}

/** Whether `customer` matches the search `needle` (lower-case): id prefix, email or name substring. */
export function matchesSearch(customer: Customer, needle: string): boolean {
  return (
    localId(customer.id).toLowerCase().startsWith(needle) ||
    customer.email.toLowerCase().includes(needle) ||
    customer.name.toLowerCase().includes(needle)
  );
}

/**
 * A page of the tenant's customers. Without `q`, one page of the listing. With `q`, the matching
 * customers of up to `SEARCH_READS` reads of the listing, each asking for the items still missing:
 * the page never holds more than `limit` items and skips none, but may hold fewer (even none)
 * while `nextCursor` says more of the listing remains. The listing is the repository's (tenant by
 * key): another tenant's customer is never read, let alone matched.
 */
export async function listCustomers(
  customers: Pick<CustomersPort, 'listByTenant'>,
  cursors: Cursors,
  tenantId: string,
  query: ListCustomersQuery,
): Promise<{ items: CustomerView[]; nextCursor: string | null }> {
  const where = { listing: 'customers', scope: tenantId } as const;
  if (query.q === undefined)
    return listPage(
      cursors,
      where,
      query,
      (page) => customers.listByTenant(tenantId, page),
      customerView,
    );
  const needle = query.q.toLowerCase();
  const limit = query.limit ?? 20;
  const items: Customer[] = [];
  let cursor = cursors.open(where.listing, where.scope, query.cursor) ?? null;
  for (let read = 0; read < SEARCH_READS && items.length < limit; read++) {
    const page = await customers.listByTenant(tenantId, { limit: limit - items.length, cursor });
    items.push(...page.items.filter((c) => matchesSearch(c, needle)));
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return {
    items: items.map(customerView),
    nextCursor: cursors.seal(where.listing, where.scope, cursor),
  };
}
