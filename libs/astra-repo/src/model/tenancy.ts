/**
 * Tenancy by key: every id a tenant's resource is stored under starts with `<tenantId>~`. The
 * tenant is therefore the leading part of every partition key (customers, subscriptions, ledgers,
 * coupons, emails) and of every workflow id, in every adapter and in Temporal, while the ids a
 * tenant sees stay its own (`cus_ada`, not `acme~cus_ada`): two tenants may both have a `cus_ada`.
 *
 * `~` never appears in an id a caller can send (see `idSchema`), so a caller can only ever name
 * resources inside the tenant its credentials belong to: another tenant's resource is not hidden
 * by a check that could be forgotten, it is simply not addressable.
 */
export const TENANT_SEPARATOR = '~';

/** A tenant id: 2 to 32 lower-case letters, digits and "-", starting with a letter or digit. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}

/** The stored id of a tenant's `id`: `<tenantId>~<id>`. */
export function scopedId(tenantId: string, id: string): string {
  return `${tenantId}${TENANT_SEPARATOR}${id}`;
}

/** The tenant a stored id belongs to, or null for an id stored without one. */
export function tenantOf(stored: string): string | null {
  const at = stored.indexOf(TENANT_SEPARATOR);
  return at > 0 ? stored.slice(0, at) : null;
}

/**
 * The id as its tenant sees it: the stored id without its tenant prefix. An id stored without a
 * tenant (a service that uses the libraries without tenancy) is returned as it is.
 */
export function localId(stored: string): string {
  const at = stored.indexOf(TENANT_SEPARATOR);
  return at > 0 ? stored.slice(at + 1) : stored;
}
