import { z } from 'zod';
import { InvalidCursorError } from '../errors';

/**
 * Encodes an adapter's position in a listing as an opaque, URL-safe string, bound to `listing`
 * (the listing and its scope, e.g. `coupons:<customerId>`): a cursor of one listing is refused
 * by every other one instead of reading from a position that means something else there.
 */
export function encodeCursor(listing: string, position: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify({ ...position, l: listing }), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by `encodeCursor` for the same listing with the same schema; anything
 * else is an `InvalidCursorError`.
 */
export function decodeCursor<T>(
  cursor: string | null | undefined,
  schema: z.ZodType<T>,
  listing: string,
): T | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (typeof cursor !== 'string' || cursor.length > 2048) throw new InvalidCursorError('too long');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor of this listing');
  }
  const bound = z.looseObject({ l: z.literal(listing) }).safeParse(decoded);
  if (!bound.success) throw new InvalidCursorError('not a cursor of this listing');
  const { l, ...position } = bound.data;
  void l;
  const parsed = schema.safeParse(position);
  if (!parsed.success) throw new InvalidCursorError('not a cursor of this listing');
  return parsed.data;
}
