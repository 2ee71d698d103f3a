import { localId, type Customer } from '@invincible/astra-repo';
import { z } from 'zod';
import { customerIdSchema, isoDateTime } from '../schemas/common';

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

/** Explicit mapping: what the API shows of a stored customer. */
export function customerView(c: Customer): z.infer<typeof customerSchema> {
  return { id: localId(c.id), email: c.email, name: c.name, createdAt: c.createdAt.toISOString() };
}
