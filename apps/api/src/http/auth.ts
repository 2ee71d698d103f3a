import { createHash, timingSafeEqual } from 'node:crypto';
import {
  isTenantId,
  keyIdOfSecret,
  keyUnusable,
  NotFoundError,
  secretMatches,
  type AccessPort,
  type ApiKeyRecord,
  type Tenant,
} from '@invincible/astra-repo';
import type { RequestHandler, Response } from 'express';
import { looksLikeToken, type CustomerTokens } from './customer-tokens';
import { permissionsOf, type Principal } from './principal';
import { sendProblem } from './problem';

/** A key from the environment: `name` identifies the caller in logs; `secret` is the bearer token. */
export interface ApiKey {
  readonly name: string;
  readonly secret: string;
}

/** The settings of the tenant that the environment's keys (API_KEYS) belong to. */
export interface DevTenant {
  readonly id: string;
  /** A test tenant may bill by the second or minute (true outside production). */
  readonly test: boolean;
}

/** Limits of a tenant made on first use of an environment key (admins change them later). */
export const DEFAULT_TENANT_LIMITS = {
  maxActiveSubscriptions: 10_000,
  maxLoyaltyPrograms: 1_000_000,
} as const;

export interface AuthOptions {
  readonly access: AccessPort;
  /** API_KEYS: full keys of `devTenant`, for development and simple deployments. */
  readonly apiKeys: readonly ApiKey[];
  /** ADMIN_API_KEYS: platform admin keys from the environment. */
  readonly adminKeys: readonly ApiKey[];
  readonly devTenant: DevTenant;
  readonly tokens: CustomerTokens;
  readonly now: () => Date;
  /** How long a looked-up key or tenant is trusted: a revocation takes effect within it. */
  readonly cacheTtlMs?: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * `Authorization: Bearer <credential>`: a stored secret key (`isk_…`, found by its id, compared
 * by hash in constant time), a customer token (a JWT), or a key from the environment (compared
 * as SHA-256 digests with `timingSafeEqual` against every configured key, without stopping at a
 * match). Sets `res.locals.principal`; anything else is 401 with the same answer whatever failed.
 */
export function authenticate(options: AuthOptions): RequestHandler {
  const ttl = options.cacheTtlMs ?? 30_000;
  // Misses are cached too, so a flood of made-up key ids costs one read per id and TTL.
  const keys = expiringCache<{ key: ApiKeyRecord | null }>(ttl, 10_000, () => Date.now());
  const tenants = expiringCache<Tenant>(ttl, 10_000, () => Date.now());
  const envKeys = [
    ...options.apiKeys.map((k) => ({
      kind: 'tenant' as const,
      name: k.name,
      digest: sha256(k.secret),
    })),
    ...options.adminKeys.map((k) => ({
      kind: 'admin' as const,
      name: k.name,
      digest: sha256(k.secret),
    })),
  ];

  async function storedKey(id: string): Promise<ApiKeyRecord | null> {
    const cached = keys.get(id);
    if (cached) return cached.key;
    const key = await options.access.getKey(id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    keys.set(id, { key });
    return key;
  }

  async function tenant(id: string): Promise<Tenant | null> {
    const cached = tenants.get(id);
    if (cached) return cached;
    const found = await options.access.getTenant(id).catch(async (error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
      if (id !== options.devTenant.id || options.apiKeys.length === 0) return null;
      // The environment's tenant exists as soon as one of its keys is used.
      const { record } = await options.access.createTenant({
        id,
        name: id,
        test: options.devTenant.test,
        ...DEFAULT_TENANT_LIMITS,
        createdAt: options.now(),
      });
      return record;
    });
    if (found) tenants.set(id, found);
    return found;
  }

  /** A stored key's principal, or null if the key is unknown, revoked, expired or orphaned. */
  async function fromStoredKey(secret: string): Promise<Principal | null> {
    const id = keyIdOfSecret(secret);
    if (!id) return null;
    const key = await storedKey(id);
    if (!key || !secretMatches(key, secret) || keyUnusable(key, options.now())) return null;
    if (key.role === 'admin') return { kind: 'admin', actor: `key:${key.id}`, keyId: key.id };
    const owner = key.tenantId === null ? null : await tenant(key.tenantId);
    if (!owner) return null;
    return {
      kind: 'tenant',
      actor: `key:${key.id}`,
      keyId: key.id,
      tenant: owner,
      role: key.role,
      permissions: permissionsOf(key.role, key.permissions),
    };
  }

  async function fromToken(token: string): Promise<Principal | null> {
    const claims = await options.tokens.verify(token);
    if (!claims || !isTenantId(claims.tenantId)) return null;
    // A token lives no longer than the key that minted it.
    if (claims.mintedBy.startsWith('key_')) {
      const key = await storedKey(claims.mintedBy);
      if (!key || key.tenantId !== claims.tenantId || keyUnusable(key, options.now())) return null;
    } else if (!envKeys.some((k) => k.kind === 'tenant' && `env:${k.name}` === claims.mintedBy)) {
      return null;
    }
    const owner = await tenant(claims.tenantId);
    if (!owner) return null;
    return {
      kind: 'customer',
      actor: `customer:${claims.customerId}`,
      tenant: owner,
      customerId: claims.customerId,
    };
  }

  async function fromEnvironment(secret: string): Promise<Principal | null> {
    const presented = sha256(secret);
    let match: (typeof envKeys)[number] | undefined;
    for (const key of envKeys) {
      if (timingSafeEqual(presented, key.digest) && match === undefined) match = key;
    }
    if (!match) return null;
    if (match.kind === 'admin') return { kind: 'admin', actor: `env:${match.name}`, keyId: null };
    const owner = await tenant(options.devTenant.id);
    if (!owner) return null;
    return {
      kind: 'tenant',
      actor: `env:${match.name}`,
      keyId: null,
      tenant: owner,
      role: 'full',
      permissions: permissionsOf('full'),
    };
  }

  return async (req, res, next) => {
    const match = /^Bearer +([\x21-\x7e]{1,2048}) *$/i.exec(req.get('authorization') ?? '');
    const credential = match?.[1];
    let principal: Principal | null = null;
    if (credential) {
      principal = credential.startsWith('isk_')
        ? await fromStoredKey(credential)
        : looksLikeToken(credential)
          ? await fromToken(credential)
          : await fromEnvironment(credential);
    }
    if (!principal) {
      unauthorized(res, match !== null);
      return;
    }
    res.locals['principal'] = principal;
    next();
  };
}

function unauthorized(res: Response, presented: boolean): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="invincible"');
  sendProblem(res, {
    title: 'Unauthorized',
    status: 401,
    detail: presented
      ? 'The API key or token is not valid'
      : 'An API key is required: Authorization: Bearer <key>',
  });
}

/** The principal's name for rate limits and logs: its key, token holder or environment key. */
export function principalKey(res: Response): string {
  const principal = res.locals['principal'] as Principal | undefined;
  if (!principal) return 'anonymous';
  return principal.kind === 'customer'
    ? `${principal.tenant.id}/${principal.actor}`
    : principal.actor;
}

/**
 * A small cache whose entries expire `ttlMs` after they were set (0: nothing is kept), holding at
 * most `max` entries (the oldest set is dropped first).
 */
export function expiringCache<T>(ttlMs: number, max: number, now: () => number) {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  return {
    get(key: string): T | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt > now()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T): void {
      if (ttlMs <= 0) return;
      entries.delete(key);
      entries.set(key, { value, expiresAt: now() + ttlMs });
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
  };
}
