import { localId, scopedId, type ApiKeyRole, type Tenant } from '@invincible/astra-repo';
import type { Response } from 'express';
import { HttpError, notFound } from './http-error';

/** What a tenant key may be granted: a resource and read or write. */
export const RESOURCES = [
  'customers',
  'subscriptions',
  'loyalty',
  'emails',
  'audit',
  'tokens',
] as const;
export type Resource = (typeof RESOURCES)[number];
export type Permission = `${Resource}:${'read' | 'write'}`;
export const PERMISSIONS: readonly Permission[] = RESOURCES.flatMap((r) => [
  `${r}:read` as const,
  `${r}:write` as const,
]);

/** Who is calling, once authenticated. */
export type Principal =
  /** Runs the platform: tenants, keys, reconciliation. Reaches no tenant's data. */
  | { readonly kind: 'admin'; readonly actor: string; readonly keyId: string | null }
  /** A tenant's secret key, with its role's permissions. */
  | {
      readonly kind: 'tenant';
      readonly actor: string;
      readonly keyId: string | null;
      readonly tenant: Tenant;
      readonly role: Exclude<ApiKeyRole, 'admin'>;
      readonly permissions: ReadonlySet<Permission>;
    }
  /** A customer-scoped token: reads one customer's loyalty and subscriptions, redeems coupons. */
  | {
      readonly kind: 'customer';
      readonly actor: string;
      readonly tenant: Tenant;
      /** The customer's id as its tenant knows it. */
      readonly customerId: string;
    };

/** The permissions of a role (a restricted key's are its own list). */
export function permissionsOf(
  role: Exclude<ApiKeyRole, 'admin'>,
  granted: readonly string[] = [],
): ReadonlySet<Permission> {
  if (role === 'full') return new Set(PERMISSIONS);
  if (role === 'read_only') return new Set(PERMISSIONS.filter((p) => p.endsWith(':read')));
  return new Set(granted.filter((p): p is Permission => (PERMISSIONS as string[]).includes(p)));
}

/**
 * Who may call a route: platform admins only, or tenant keys holding `permission` — and, with
 * `customer`, a customer token too, for its own customer only.
 */
export type Access =
  { readonly admin: true } | { readonly permission: Permission; readonly customer?: boolean };

/** The principal of an authenticated request (set by the authentication middleware). */
export function principalOf(res: Response): Principal {
  const principal = res.locals['principal'] as Principal | undefined;
  if (!principal) throw new Error('no principal: the route is mounted without authentication');
  return principal;
}

export const forbidden = (detail: string) => new HttpError(403, 'Forbidden', detail);

/**
 * Whether `principal` may call a route with `access`; throws the answer if not. A customer token
 * naming another customer gets 404, as if the customer did not exist.
 */
export function authorize(
  principal: Principal,
  access: Access,
  params: Readonly<Record<string, unknown>>,
): void {
  if ('admin' in access) {
    if (principal.kind !== 'admin') throw forbidden('This operation needs an admin key');
    return;
  }
  if (principal.kind === 'admin')
    throw forbidden("An admin key manages the platform; a tenant's data needs that tenant's key");
  if (principal.kind === 'customer') {
    if (!access.customer) throw forbidden('A customer token cannot call this operation');
    const customerId = params['customerId'];
    if (typeof customerId === 'string' && customerId !== principal.customerId)
      throw notFound(`no customer ${customerId}`);
    return;
  }
  if (!principal.permissions.has(access.permission))
    throw forbidden(`This key's role (${principal.role}) does not grant ${access.permission}`);
}

/**
 * A tenant's view of ids: `id()` is the stored id of one of its ids, `local()` the reverse. Every
 * id a route reads from the request goes through `id()`, so it can only name this tenant's rows.
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly principal: Exclude<Principal, { kind: 'admin' }>;
  id(local: string): string;
  local(stored: string): string;
  /** A customer token may only see its own customer: anything else is 404, as if absent. */
  assertCustomer(localCustomerId: string, what: string): void;
}

export function tenantScope(principal: Principal): TenantScope | null {
  if (principal.kind === 'admin') return null;
  const tenantId = principal.tenant.id;
  return {
    tenantId,
    principal,
    id: (local) => scopedId(tenantId, local),
    local: (stored) => localId(stored),
    assertCustomer(localCustomerId, what) {
      if (principal.kind === 'customer' && principal.customerId !== localCustomerId)
        throw notFound(`no ${what}`);
    },
  };
}
