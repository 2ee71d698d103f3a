import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError } from '../errors';
import type { AccessPort } from '../ports/repository';
import type { ApiKeyRecord, ApiKeyRole } from './entities';

/**
 * A secret API key as a caller holds it: `isk_<16 hex key id>_<64 hex secret>`. The key id is the
 * visible half (it finds the stored key, and names the key in logs and the audit log); the
 * 256-bit random half is the secret, stored only as the SHA-256 of the whole string.
 */
const SECRET = /^isk_([0-9a-f]{16})_[0-9a-f]{64}$/;

export interface NewApiKey {
  readonly tenantId: string | null;
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly permissions?: readonly string[];
  readonly expiresAt?: Date | null;
  readonly now: Date;
}

/** A new key: the record to store and the secret to show once (it is not kept anywhere). */
export function generateApiKey(spec: NewApiKey): { record: ApiKeyRecord; secret: string } {
  const keyHex = randomBytes(8).toString('hex');
  const secret = `isk_${keyHex}_${randomBytes(32).toString('hex')}`;
  return {
    secret,
    record: {
      id: `key_${keyHex}`,
      tenantId: spec.tenantId,
      name: spec.name,
      role: spec.role,
      permissions: [...(spec.permissions ?? [])],
      secretHash: hashSecret(secret),
      createdAt: spec.now,
      expiresAt: spec.expiresAt ?? null,
      revokedAt: null,
    },
  };
}

/** The id of the key a presented secret claims to be, or null if it is not shaped like one. */
export function keyIdOfSecret(presented: string): string | null {
  const match = SECRET.exec(presented);
  return match?.[1] ? `key_${match[1]}` : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `presented` is the key's secret, in time independent of where they differ. */
export function secretMatches(key: Pick<ApiKeyRecord, 'secretHash'>, presented: string): boolean {
  const expected = Buffer.from(key.secretHash, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Why a stored key cannot be used at `now` (revoked, expired), or null if it can. */
export function keyUnusable(
  key: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>,
  now: Date,
): 'revoked' | 'expired' | null {
  if (key.revokedAt && key.revokedAt <= now) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return null;
}

/**
 * Rotation: a new key with the old one's tenant, role and permissions, and the old key expiring
 * `overlapMs` from now — both work during the rollover, so clients can move at their pace.
 */
export async function rollApiKey(
  access: AccessPort,
  keyId: string,
  overlapMs: number,
  now: Date,
): Promise<{ record: ApiKeyRecord; secret: string; previous: ApiKeyRecord }> {
  const old = await access.getKey(keyId);
  const why = keyUnusable(old, now);
  if (why) throw new ConflictError('api key', keyId, `it is ${why}: make a new key instead`);
  const next = generateApiKey({
    tenantId: old.tenantId,
    name: old.name,
    role: old.role,
    permissions: old.permissions,
    now,
  });
  await access.createKey(next.record);
  const previous = await access.expireKey(keyId, new Date(now.getTime() + overlapMs));
  return { ...next, previous };
}
