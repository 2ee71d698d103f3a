/**
 * Schemas shared by every resource. Each one validates requests and, through zod-openapi,
 * describes them in `/openapi.json`: `.meta({ id })` makes it a named component.
 */
import { currencySchema, idSchema, keySchema } from '@invincible/astra-repo';
import { z } from 'zod';

export const customerIdSchema = idSchema.meta({
  description: 'A customer id: up to 64 letters, digits, "_", "." or "-"',
  example: 'cus_ada',
});

export const subscriptionIdSchema = idSchema.meta({
  description: 'A subscription id (derived from the Idempotency-Key of its creation)',
  example: 'sub_3f1c9a0e6d2b4c8a9e7f5d3b1a0c2e4f',
});

/** Purchase and coupon keys may contain ":" (coupon ids are `<customerId>:<n>`). */
export const purchaseIdSchema = keySchema.meta({
  description: 'Your id of the purchase: it is counted once, however often it is sent',
  example: 'order-1001',
});
export const couponIdSchema = keySchema.meta({
  description: 'A coupon id, `<customerId>:<n>`',
  example: 'cus_ada:1',
});

export const moneySchema = z
  .strictObject({
    amountMinor: z
      .number()
      .int('whole minor units (cents), never fractions')
      .positive('a positive amount')
      .max(Number.MAX_SAFE_INTEGER),
    currency: currencySchema.meta({ description: 'ISO 4217 code', example: 'USD' }),
  })
  .meta({
    id: 'Money',
    description: 'An amount in integer minor units of its currency: 12.50 USD is 1250',
  });

/**
 * The IANA zones this runtime knows by their canonical names, and `UTC` (the default, which
 * `Intl.supportedValuesOf` leaves out). An enum, so the document lists exactly what is accepted;
 * aliases (`US/Pacific`, `Asia/Calcutta`) are refused rather than stored under a second name.
 */
export const TIME_ZONES: readonly [string, ...string[]] = Object.freeze([
  'UTC',
  ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC'),
] as [string, ...string[]]);

export const timeZoneSchema = z
  .enum(TIME_ZONES, { error: 'an IANA time zone such as Europe/Paris' })
  .meta({ description: 'An IANA time zone', example: 'Europe/Paris' });

export const isoDateTime = z.iso
  .datetime({ offset: true })
  .meta({ example: '2026-11-25T10:00:00Z' });

/** `?limit=&cursor=` of every listing. */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: '1 to 100; default 20' }),
  cursor: z
    .string()
    .max(2_000)
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page' }),
});

/** A page of `item`: `nextCursor` is opaque and null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(
        z.object({
          in: z.enum(['body', 'query', 'path', 'header']),
          field: z.string(),
          message: z.string(),
        }),
      )
      .optional()
      .meta({ description: 'With 400: every invalid field' }),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem document' });
