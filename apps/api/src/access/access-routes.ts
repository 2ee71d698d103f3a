import { generateApiKey, NotFoundError, rollApiKey, type Repository } from '@invincible/astra-repo';
import { listPage, type Cursors } from '../http/cursors';
import { conflict, notFound } from '../http/http-error';
import { DEFAULT_TOKEN_TTL_SECONDS, type CustomerTokens } from '../http/customer-tokens';
import { defineRoute, type RouteSpec } from '../http/route';
import { customerParamsSchema } from '../customers/customer-schemas';
import { findCustomer } from '../customers/find-customer';
import { pageOf, pageQuerySchema } from '../schemas/common';
import {
  apiKeySchema,
  apiKeyView,
  auditEventSchema,
  auditEventView,
  createKeySchema,
  createTenantSchema,
  customerTokenSchema,
  keyParamsSchema,
  mintTokenSchema,
  newApiKeySchema,
  rolledKeySchema,
  rollKeySchema,
  tenantParamsSchema,
  tenantSchema,
  tenantView,
} from './access-schemas';
import { z } from 'zod';

export interface AccessDeps {
  readonly repository: Pick<Repository, 'access' | 'customers'>;
  readonly tokens: CustomerTokens;
  readonly cursors: Cursors;
  readonly now: () => Date;
  /** The operations a customer token may call (the routes that allow one). */
  readonly customerOperations: readonly string[];
}

/** Tenants and keys (admin), customer tokens and the audit log (tenant). */
export function accessRoutes(deps: AccessDeps): RouteSpec[] {
  const { access } = deps.repository;

  const tenantOr404 = (tenantId: string) =>
    access.getTenant(tenantId).catch((error: unknown) => {
      throw error instanceof NotFoundError ? notFound(`no tenant ${tenantId}`) : error;
    });
  const keyOr404 = (keyId: string) =>
    access.getKey(keyId).catch((error: unknown) => {
      throw error instanceof NotFoundError ? notFound(`no key ${keyId}`) : error;
    });

  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/tenants',
      operationId: 'createTenant',
      summary: 'Create a tenant (an account)',
      description:
        'Idempotent by `id`: the same request again answers 200; the same id with other settings, 409.',
      tag: 'admin',
      access: { admin: true },
      body: createTenantSchema,
      responses: {
        201: { description: 'Created', schema: tenantSchema },
        200: { description: 'Created earlier by the same request', schema: tenantSchema },
        409: { description: 'That id is a tenant with other settings' },
      },
      handle: async ({ body, res }) => {
        res.locals['auditTenant'] = body.id;
        const wanted = { ...body, createdAt: deps.now() };
        const { record, created } = await access.createTenant(wanted);
        const same =
          record.name === body.name &&
          record.test === body.test &&
          record.maxActiveSubscriptions === body.maxActiveSubscriptions &&
          record.maxLoyaltyPrograms === body.maxLoyaltyPrograms;
        if (!created && !same) throw conflict(`tenant ${body.id} exists with other settings`);
        return {
          status: created ? 201 : 200,
          body: tenantView(record),
          headers: { Location: `/v1/admin/tenants/${record.id}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/tenants/{tenantId}',
      operationId: 'getTenant',
      summary: 'Get a tenant',
      tag: 'admin',
      access: { admin: true },
      params: tenantParamsSchema,
      responses: {
        200: { description: 'The tenant', schema: tenantSchema },
        404: { description: 'No such tenant' },
      },
      handle: async ({ params }) => ({
        status: 200,
        body: tenantView(await tenantOr404(params.tenantId)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/tenants/{tenantId}/keys',
      operationId: 'createApiKey',
      summary: 'Create a secret key for a tenant',
      description:
        'The secret is in this answer only: it is stored as its SHA-256. Not idempotent — a lost answer leaves a key nobody holds: list the keys and revoke it.',
      tag: 'admin',
      access: { admin: true },
      params: tenantParamsSchema,
      body: createKeySchema,
      responses: {
        201: { description: 'Created', schema: newApiKeySchema },
        404: { description: 'No such tenant' },
      },
      handle: async ({ params, body }) => {
        await tenantOr404(params.tenantId);
        const now = deps.now();
        const { record, secret } = generateApiKey({
          tenantId: params.tenantId,
          name: body.name,
          role: body.role,
          permissions: body.permissions ?? [],
          expiresAt:
            body.expiresInSeconds === undefined
              ? null
              : new Date(now.getTime() + body.expiresInSeconds * 1000),
          now,
        });
        await access.createKey(record);
        return { status: 201, body: { key: apiKeyView(record, now), secret } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/tenants/{tenantId}/keys',
      operationId: 'listApiKeys',
      summary: "List a tenant's keys (never their secrets)",
      tag: 'admin',
      access: { admin: true },
      params: tenantParamsSchema,
      responses: {
        200: {
          description: 'The keys, oldest first',
          schema: z.strictObject({ items: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' }),
        },
        404: { description: 'No such tenant' },
      },
      handle: async ({ params }) => {
        await tenantOr404(params.tenantId);
        const now = deps.now();
        const keys = await access.listKeys(params.tenantId);
        return { status: 200, body: { items: keys.map((k) => apiKeyView(k, now)) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/keys/{keyId}/revoke',
      operationId: 'revokeApiKey',
      summary: 'Revoke a key (within 30 s on every replica)',
      description:
        'Idempotent. Replicas trust a key they looked up for up to 30 s, so a revoked key stops working everywhere within that time. Customer tokens it minted stop with it.',
      tag: 'admin',
      access: { admin: true },
      params: keyParamsSchema,
      responses: {
        200: { description: 'Revoked', schema: apiKeySchema },
        404: { description: 'No such key' },
      },
      handle: async ({ params, res }) => {
        res.locals['auditTenant'] = (await keyOr404(params.keyId)).tenantId;
        const now = deps.now();
        return { status: 200, body: apiKeyView(await access.revokeKey(params.keyId, now), now) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/keys/{keyId}/roll',
      operationId: 'rollApiKey',
      summary: 'Rotate a key: a new secret, the old one working for an overlap',
      tag: 'admin',
      access: { admin: true },
      params: keyParamsSchema,
      body: rollKeySchema,
      responses: {
        201: { description: 'The new key and the old one, now expiring', schema: rolledKeySchema },
        404: { description: 'No such key' },
        409: { description: 'The key is revoked or expired' },
      },
      handle: async ({ params, body, res }) => {
        res.locals['auditTenant'] = (await keyOr404(params.keyId)).tenantId;
        const now = deps.now();
        const rolled = await rollApiKey(access, params.keyId, body.overlapSeconds * 1000, now);
        return {
          status: 201,
          body: {
            key: apiKeyView(rolled.record, now),
            secret: rolled.secret,
            previous: apiKeyView(rolled.previous, now),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customers/{customerId}/tokens',
      operationId: 'mintCustomerToken',
      summary: 'Mint a short-lived token for a customer-facing page',
      description:
        "For your backend to hand to a customer's browser or app: it can only read that customer's loyalty balance, coupons and subscriptions, and redeem their coupons, for at most an hour. It stops working when the key that minted it is revoked.",
      tag: 'customers',
      access: { permission: 'tokens:write' },
      params: customerParamsSchema,
      body: mintTokenSchema,
      responses: {
        201: { description: 'Minted', schema: customerTokenSchema },
        404: { description: 'No such customer' },
      },
      handle: async ({ params, body, tenant, principal }) => {
        await findCustomer(deps.repository.customers, tenant.id(params.customerId));
        const { token, expiresAt } = await deps.tokens.mint(
          {
            tenantId: tenant.tenantId,
            customerId: params.customerId,
            mintedBy:
              principal.kind === 'tenant' && principal.keyId ? principal.keyId : principal.actor,
          },
          body.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
        );
        return {
          status: 201,
          body: {
            token,
            customerId: params.customerId,
            expiresAt: expiresAt.toISOString(),
            operations: [...deps.customerOperations],
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit-events',
      operationId: 'listAuditEvents',
      summary: 'The audit log: every write to this tenant, newest first',
      description:
        'Who (key, environment key or customer token), what (operation and path), when, the request id and the answer.',
      tag: 'audit',
      access: { permission: 'audit:read' },
      query: pageQuerySchema,
      responses: {
        200: {
          description: 'A page of events',
          schema: pageOf(auditEventSchema, 'AuditEventPage'),
        },
      },
      handle: async ({ query, tenant }) => {
        const body = await listPage(
          deps.cursors,
          { listing: 'audit', scope: tenant.tenantId },
          query,
          (page) => access.listAudit(tenant.tenantId, page),
          auditEventView,
        );
        return { status: 200, body };
      },
    }),
  ];
}
