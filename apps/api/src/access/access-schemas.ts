import {
  keyUnusable,
  localId,
  TENANT_ID_PATTERN,
  type ApiKeyRecord,
  type AuditEvent,
  type Tenant,
} from '@invincible/astra-repo';
import { z } from 'zod';
import { MAX_TOKEN_TTL_SECONDS } from '../http/customer-tokens';
import { PERMISSIONS } from '../http/principal';
import { customerIdSchema, isoDateTime } from '../schemas/common';

export const tenantIdSchema = z
  .string()
  .regex(TENANT_ID_PATTERN, 'a tenant id: 2 to 32 lower-case letters, digits or "-"')
  .meta({ description: 'A tenant (account) id', example: 'acme' });

const limit = (what: string, fallback: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .default(fallback)
    .meta({ description: `${what} (default ${fallback.toLocaleString('en')})` });

export const createTenantSchema = z
  .strictObject({
    id: tenantIdSchema,
    name: z.string().min(1).max(200),
    test: z
      .boolean()
      .default(false)
      .meta({ description: 'A test tenant may bill by the second or minute' }),
    maxActiveSubscriptions: limit('Subscriptions that may run at once', 10_000),
    maxLoyaltyPrograms: limit('Customers with a loyalty program', 1_000_000),
  })
  .meta({ id: 'CreateTenant' });

export const tenantSchema = z
  .strictObject({
    id: tenantIdSchema,
    name: z.string(),
    test: z.boolean(),
    maxActiveSubscriptions: z.number().int(),
    maxLoyaltyPrograms: z.number().int(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Tenant' });

export function tenantView(t: Tenant): z.infer<typeof tenantSchema> {
  return {
    id: t.id,
    name: t.name,
    test: t.test,
    maxActiveSubscriptions: t.maxActiveSubscriptions,
    maxLoyaltyPrograms: t.maxLoyaltyPrograms,
    createdAt: t.createdAt.toISOString(),
  };
}

export const tenantParamsSchema = z.strictObject({ tenantId: tenantIdSchema });
export const keyIdSchema = z
  .string()
  .regex(/^key_[0-9a-f]{16}$/, 'a key id: key_ and 16 hex digits')
  .meta({
    description: 'An API key id (the visible half of its secret)',
    example: 'key_0f1e2d3c4b5a6978',
  });
export const keyParamsSchema = z.strictObject({ keyId: keyIdSchema });

const permissionSchema = z.enum(PERMISSIONS as [string, ...string[]]);

export const createKeySchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(100)
      .meta({ description: 'What the key is for', example: 'backend' }),
    role: z.enum(['full', 'read_only', 'restricted']).meta({
      description:
        '`full`: every operation of the tenant; `read_only`: every read; `restricted`: `permissions` only',
    }),
    permissions: z.array(permissionSchema).max(20).optional(),
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(366 * 86_400)
      .optional(),
  })
  .refine((k) => (k.role === 'restricted') === (k.permissions !== undefined), {
    message: 'permissions are given with role restricted, and only then',
    path: ['permissions'],
  })
  .meta({ id: 'CreateApiKey' });

export const apiKeySchema = z
  .strictObject({
    id: keyIdSchema,
    tenantId: tenantIdSchema.nullable(),
    name: z.string(),
    role: z.enum(['admin', 'full', 'read_only', 'restricted']),
    permissions: z.array(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: isoDateTime,
    expiresAt: isoDateTime.nullable(),
    revokedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey', description: 'An API key, never with its secret or hash' });

export const newApiKeySchema = z
  .strictObject({
    key: apiKeySchema,
    secret: z.string().meta({
      description: 'The secret: shown this once, stored by nobody (only its SHA-256 is kept)',
    }),
  })
  .meta({ id: 'NewApiKey' });

export const rollKeySchema = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(86_400)
      .meta({ description: 'How long the old key keeps working (default a day)' }),
  })
  .meta({ id: 'RollApiKey' });

export const rolledKeySchema = z
  .strictObject({ key: apiKeySchema, secret: z.string(), previous: apiKeySchema })
  .meta({ id: 'RolledApiKey' });

export function apiKeyView(k: ApiKeyRecord, now: Date): z.infer<typeof apiKeySchema> {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    role: k.role,
    permissions: [...k.permissions],
    status: keyUnusable(k, now) ?? 'active',
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export const mintTokenSchema = z
  .strictObject({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_TOKEN_TTL_SECONDS)
      .optional()
      .meta({ description: 'Lifetime: 60 s to 1 h (default 15 min)' }),
  })
  .meta({ id: 'MintCustomerToken' });

export const customerTokenSchema = z
  .strictObject({
    token: z.string().meta({ description: 'Send as `Authorization: Bearer <token>`' }),
    customerId: customerIdSchema,
    expiresAt: isoDateTime,
    operations: z.array(z.string()).meta({ description: 'What the token can do' }),
  })
  .meta({ id: 'CustomerToken' });

export const auditEventSchema = z
  .strictObject({
    id: z.string(),
    at: isoDateTime,
    actor: z
      .string()
      .meta({ description: '`key:<keyId>`, `env:<name>`, or `customer:<customerId>`' }),
    action: z.string().meta({ description: 'The operation, e.g. createSubscription' }),
    resource: z.string(),
    requestId: z.string(),
    status: z.number().int(),
  })
  .meta({ id: 'AuditEvent' });

/** Who an audit event names, as the tenant sees it (a customer by the tenant's own id). */
export const actorView = (actor: string): string =>
  actor.startsWith('customer:') ? `customer:${localId(actor.slice(9))}` : actor;

export function auditEventView(e: AuditEvent): z.infer<typeof auditEventSchema> {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: actorView(e.actor),
    action: e.action,
    resource: e.resource,
    requestId: e.requestId,
    status: e.status,
  };
}
