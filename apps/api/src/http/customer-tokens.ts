import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from './cursors';

/** At most an hour: a customer-facing page asks its backend for a new one when it expires. */
export const MAX_TOKEN_TTL_SECONDS = 3_600;
export const DEFAULT_TOKEN_TTL_SECONDS = 900;

const ISSUER = 'invincible';
const AUDIENCE = 'invincible:customer';

export interface CustomerTokenClaims {
  readonly tenantId: string;
  /** The customer's id as its tenant knows it. */
  readonly customerId: string;
  /** The key that minted it (`key_…`, or `dev:<name>`): revoking that key voids its tokens. */
  readonly mintedBy: string;
}

export interface CustomerTokens {
  mint(
    claims: CustomerTokenClaims,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }>;
  /** The claims of a valid token, or null (bad signature, expired, not ours, malformed). */
  verify(token: string): Promise<CustomerTokenClaims | null>;
}

/**
 * Short-lived customer tokens: JWTs signed with HMAC-SHA-256 under a key derived from the API's
 * SIGNING_SECRET (shared by every replica), bound to one tenant and one customer. Only HS256 is accepted, with this
 * issuer and audience, and a lifetime of at most an hour.
 */
export function customerTokens(secret: string, now: () => Date = () => new Date()): CustomerTokens {
  const key = deriveKey(secret, 'customer tokens');
  return {
    async mint(claims, ttlSeconds) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const expiresAt = issuedAt + Math.min(Math.max(ttlSeconds, 1), MAX_TOKEN_TTL_SECONDS);
      const token = await new SignJWT({ tnt: claims.tenantId, by: claims.mintedBy })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(claims.customerId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: now(),
          requiredClaims: ['exp', 'iat', 'sub'],
        });
        const { tnt, by, sub, exp, iat } = payload;
        if (typeof tnt !== 'string' || typeof by !== 'string' || typeof sub !== 'string')
          return null;
        if (exp === undefined || iat === undefined || exp - iat > MAX_TOKEN_TTL_SECONDS)
          return null;
        return { tenantId: tnt, customerId: sub, mintedBy: by };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}

/** Whether a bearer credential is shaped like a JWT (three base64url parts). */
export function looksLikeToken(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);
}
