import type { z } from 'zod';
import { InvalidCursorError } from '../errors';

/** Encodes an adapter's position in a listing as an opaque, URL-safe string. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with the same schema; anything else is an InvalidCursorError. */
export function decodeCursor<T>(
  cursor: string | null | undefined,
  schema: z.ZodType<T>,
): T | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (cursor.length > 2048) throw new InvalidCursorError('too long');
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError('not a cursor of this listing');
  }
}
