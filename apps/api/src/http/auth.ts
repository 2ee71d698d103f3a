import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendProblem } from './problem';

/** An API key: `name` identifies the caller in logs and rate limits; `secret` is the bearer token. */
export interface ApiKey {
  readonly name: string;
  readonly secret: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * `Authorization: Bearer <secret>`. Secrets are compared as SHA-256 digests with
 * `timingSafeEqual`, against every configured key without stopping at a match, so neither the
 * secret's length nor which key matched shows in the response time. Sets `res.locals.principal`.
 */
export function apiKeyAuth(keys: readonly ApiKey[]): RequestHandler {
  const digests = keys.map((k) => ({ name: k.name, digest: sha256(k.secret) }));
  return (req, res, next) => {
    const match = /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(req.get('authorization') ?? '');
    let principal: string | undefined;
    if (match?.[1]) {
      const presented = sha256(match[1]);
      for (const key of digests) {
        if (timingSafeEqual(presented, key.digest) && principal === undefined) principal = key.name;
      }
    }
    if (principal === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="invincible"');
      sendProblem(res, {
        title: 'Unauthorized',
        status: 401,
        detail: match
          ? 'The API key is not valid'
          : 'An API key is required: Authorization: Bearer <key>',
      });
      return;
    }
    res.locals['principal'] = principal;
    next();
  };
}
