import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Page, PageRequest } from '@invincible/astra-repo';
import { badRequest } from './http-error';

/**
 * Paging cursors as the API hands them out: the repository's cursor wrapped with the listing and
 * the scope it belongs to (the tenant and the customer, subscription or status listed), signed
 * with HMAC-SHA-256 under a key derived from SIGNING_SECRET. A cursor of another listing, another
 * customer or another tenant, or one made up, is a 400 before the database sees anything.
 */
export interface Cursors {
  /** The cursor to hand out for the repository's `next` (null on the last page). */
  seal(listing: string, scope: string, next: string | null): string | null;
  /** The repository's cursor inside `cursor`, or undefined for the first page; 400 if not ours. */
  open(listing: string, scope: string, cursor: string | undefined): string | undefined;
}

/** Derives a key of its own for each use of the one secret (cursors, customer tokens). */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'invincible', purpose, 32));
}

export function signedCursors(secret: string): Cursors {
  const key = deriveKey(secret, 'paging cursors');
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  const invalid = (message: string) =>
    badRequest('The request query is not valid', [{ in: 'query', field: 'cursor', message }]);
  return {
    seal(listing, scope, next) {
      if (next === null) return null;
      const payload = Buffer.from(JSON.stringify({ l: listing, s: scope, c: next })).toString(
        'base64url',
      );
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    open(listing, scope, cursor) {
      if (cursor === undefined || cursor === '') return undefined;
      const [payload, signature, extra] = cursor.split('.');
      if (!payload || !signature || extra !== undefined) throw invalid('not a cursor of this API');
      const expected = mac(payload);
      const presented = Buffer.from(signature, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
        throw invalid('not a cursor of this API');
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        l?: unknown;
        s?: unknown;
        c?: unknown;
      };
      if (parsed.l !== listing || parsed.s !== scope || typeof parsed.c !== 'string')
        throw invalid('a cursor of another listing: use the nextCursor of this one');
      return parsed.c;
    },
  };
}

/**
 * One page of a listing as the API answers it: the caller's signed cursor opened, the
 * repository's page fetched, each item viewed, and the next cursor signed for this same listing.
 */
export async function listPage<T, V>(
  cursors: Cursors,
  where: { readonly listing: string; readonly scope: string },
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
  fetch: (page: PageRequest) => Promise<Page<T>>,
  view: (item: T) => V,
): Promise<{ items: V[]; nextCursor: string | null }> {
  const cursor = cursors.open(where.listing, where.scope, query.cursor);
  const page = await fetch({
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  });
  return {
    items: page.items.map(view),
    nextCursor: cursors.seal(where.listing, where.scope, page.nextCursor),
  };
}
