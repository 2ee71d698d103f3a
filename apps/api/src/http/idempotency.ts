import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The `Idempotency-Key` header: what makes a create safe to retry. */
export const idempotencyKeySchema = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7e]{1,255}$/, 'up to 255 visible ASCII characters')
  .meta({
    description:
      'Any unique string of yours (a UUID is typical): retrying with the same key and body returns the first result',
    example: '5b0e3c1e-8f5a-4a47-9d0f-1d1f7f8b2a61',
  });

/**
 * A stable id from the caller's idempotency key, scoped to its tenant (or, for an admin, its key)
 * so two callers can never collide, and a tenant's keys can rotate without a retry making a
 * second resource: `<prefix>_<32 hex>`. The same key always names the same resource — which is what lets
 * Temporal's workflow-id uniqueness, not a cache in this process, make creation idempotent.
 */
export function idFromIdempotencyKey(prefix: string, namespace: string, key: string): string {
  const digest = createHash('sha256').update(`${namespace}\u0000${key}`).digest('hex');
  return `${prefix}_${digest.slice(0, 32)}`;
}

/** A fingerprint of a request body, stable under key order: same body, same fingerprint. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
