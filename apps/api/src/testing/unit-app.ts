import { generateApiKey, type ApiKeyRole } from '@invincible/astra-repo';
import type { InMemoryRepository } from '@invincible/astra-repo/testing';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp, type AppDeps } from '../app';

/** The key of the unit tests' app: a full key of the tenant `dev` (API_KEYS). */
export const KEY = 'unit-test-secret-0123456789';
export const auth = `Bearer ${KEY}`;
/** The unit tests' clock. */
export const T0 = Date.parse('2026-06-01T12:00:00Z');

// Nothing listens on port 1: a request that reaches Temporal answers 503, one refused before, not.
const unreachableTemporal = new Client({
  connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }),
});

/** The API over an in-memory repository and an unreachable Temporal, at `T0`. */
export function testApp(store: InMemoryRepository, overrides: Partial<AppDeps> = {}) {
  return createApp({
    logger: pino({ level: 'silent' }),
    temporal: unreachableTemporal,
    repository: store,
    apiKeys: [{ name: 'unit', secret: KEY }],
    readiness: {},
    now: () => new Date(T0),
    // A request that reaches Temporal gives up quickly: 503.
    updateTimeoutMs: 300,
    ...overrides,
  });
}

/**
 * A stored key of tenant `tenantId` (made with its tenant if need be), as the admin routes make
 * them: the `Authorization` header that presents it.
 */
export async function tenantKey(
  store: InMemoryRepository,
  tenantId: string,
  role: Exclude<ApiKeyRole, 'admin'> = 'full',
  permissions: readonly string[] = [],
): Promise<string> {
  await store.access.createTenant({
    id: tenantId,
    name: tenantId,
    test: true,
    maxActiveSubscriptions: 100,
    maxLoyaltyPrograms: 100,
    createdAt: new Date(T0),
  });
  const { record, secret } = generateApiKey({
    tenantId,
    name: `${tenantId}-${role}`,
    role,
    permissions,
    now: new Date(T0),
  });
  await store.access.createKey(record);
  return `Bearer ${secret}`;
}
