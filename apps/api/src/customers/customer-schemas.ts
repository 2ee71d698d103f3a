import { localId, type Customer } from '@invincible/astra-repo';
import { z } from 'zod';
import { customerIdSchema, isoDateTime, pageQuerySchema } from '../schemas/common';

export const createCustomerSchema = z
  .strictObject({
    id: customerIdSchema.optional().meta({
      description: 'Your id for the customer; derived from the Idempotency-Key when omitted',
    }),
    email: z.email().max(254),
    name: z.string().trim().min(1).max(200),
  })
  .meta({ id: 'CreateCustomer' });

export const customerSchema = z
  .strictObject({
    id: customerIdSchema,
    email: z.string(),
    name: z.string(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Customer' });

export const customerParamsSchema = z.strictObject({ customerId: customerIdSchema });

/** `?limit=&cursor=&q=` of `GET /v1/customers`. */
export const listCustomersQuerySchema = pageQuerySchema.extend({
  q: z
    .string()
    .trim()
    .min(1, 'a search of 1 to 100 characters (spaces around it do not count)')
    .max(100, 'a search of 1 to 100 characters (spaces around it do not count)')
    .optional()
    .meta({
      description:
        'Search, case-insensitive: the id starts with it, or the email or the name contains it',
      example: 'ada',
    }),
});

export type CustomerView = z.infer<typeof customerSchema>;

/** Explicit mapping: what the API shows of a stored customer. */
export function customerView(c: Customer): CustomerView {
  return { id: localId(c.id), email: c.email, name: c.name, createdAt: c.createdAt.toISOString() };
}
