import { randomUUID } from 'node:crypto';
import type { Repository } from '@invincible/astra-repo';
import { z } from 'zod';
import { conflict } from '../http/http-error';
import type { Cursors } from '../http/cursors';
import { idempotencyKeySchema, idFromIdempotencyKey } from '../http/idempotency';
import { defineRoute, type RouteSpec } from '../http/route';
import { pageOf } from '../schemas/common';
import {
  createCustomerSchema,
  customerParamsSchema,
  customerSchema,
  customerView,
  listCustomersQuerySchema,
} from './customer-schemas';
import { listCustomers, SEARCH_READS } from './list-customers';

export interface CustomersDeps {
  readonly repository: Pick<Repository, 'customers'>;
  readonly now: () => Date;
  readonly cursors: Cursors;
}

/** `POST /v1/customers`, `GET /v1/customers`, `GET /v1/customers/{customerId}`. */
export function customersRoutes(deps: CustomersDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/customers',
      operationId: 'createCustomer',
      summary: 'Create a customer',
      description:
        'Idempotent by `id` (or, without one, by the Idempotency-Key): the same request again answers 200 with the stored customer; the same id with other details is a 409.',
      tag: 'customers',
      access: { permission: 'customers:write' },
      headers: z.strictObject({ 'Idempotency-Key': idempotencyKeySchema.optional() }),
      body: createCustomerSchema,
      responses: {
        201: { description: 'Created', schema: customerSchema },
        200: {
          description: 'Already created by an earlier identical request',
          schema: customerSchema,
        },
        409: { description: 'That id belongs to a customer with other details' },
      },
      handle: async ({ body, headers, tenant }) => {
        const key = headers['Idempotency-Key'];
        const id =
          body.id ??
          (key
            ? idFromIdempotencyKey('cus', tenant.tenantId, key)
            : `cus_${randomUUID().replaceAll('-', '')}`);
        const { record, created } = await deps.repository.customers.create({
          id: tenant.id(id),
          email: body.email,
          name: body.name,
          createdAt: deps.now(),
        });
        if (!created && (record.email !== body.email || record.name !== body.name)) {
          throw conflict(`customer ${id} already exists with other details`);
        }
        return {
          status: created ? 201 : 200,
          body: customerView(record),
          headers: { Location: `/v1/customers/${id}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers',
      operationId: 'listCustomers',
      summary: "List the account's customers, or search them",
      description: `In no promised order. Cursor paging: \`nextCursor\` is null on the last page. With \`q\` (1 to 100 characters, trimmed, case-insensitive), only the customers whose id starts with it, or whose email or name contains it; each page then looks at up to ${SEARCH_READS} × \`limit\` customers, so it may hold fewer than \`limit\` items, even none, while \`nextCursor\` is not null: follow \`nextCursor\` until it is null to see every match.`,
      tag: 'customers',
      access: { permission: 'customers:read' },
      query: listCustomersQuerySchema,
      responses: {
        200: {
          description: 'A page of customers',
          schema: pageOf(customerSchema, 'CustomerPage'),
        },
      },
      handle: async ({ query, tenant }) => ({
        status: 200,
        body: await listCustomers(deps.repository.customers, deps.cursors, tenant.tenantId, query),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}',
      operationId: 'getCustomer',
      summary: 'Get a customer',
      tag: 'customers',
      access: { permission: 'customers:read' },
      params: customerParamsSchema,
      responses: {
        200: { description: 'The customer', schema: customerSchema },
        404: { description: 'No such customer' },
      },
      handle: async ({ params, tenant }) => ({
        status: 200,
        body: customerView(await deps.repository.customers.get(tenant.id(params.customerId))),
      }),
    }),
  ];
}
