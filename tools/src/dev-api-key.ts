import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The development API key of `npm start` when API_KEYS is not set: made once and kept in the
 * data directory (mode 0600), so it survives restarts and scripts can read it from there.
 * Returns the secret; the key's name is `dev`.
 */
export function devApiKey(dataDir: string): string {
  return devSecret(dataDir, 'api-dev-key', 'dev');
}

/**
 * The local stack's other secrets, made and kept the same way: the admin key (`npm start` prints
 * it; it manages tenants and keys) and the signing secret of cursors and customer tokens (kept,
 * so a token or cursor stays valid across restarts).
 */
export function devAdminKey(dataDir: string): string {
  return devSecret(dataDir, 'api-admin-key', 'admin');
}
export function devSigningSecret(dataDir: string): string {
  return devSecret(dataDir, 'api-signing-secret', 'sign');
}

/**
 * The local stack's payload encryption key (`PAYLOAD_CODEC_KEYS` of the apps), made once and
 * kept with the data, so the workflows of an earlier run still decrypt after a restart.
 */
export function devPayloadCodecKeys(dataDir: string): string {
  const file = join(dataDir, 'payload-codec-keys');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^dev:[A-Za-z0-9+/]{43}=$/.test(stored)) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const keys = `dev:${randomBytes(32).toString('base64')}`;
  writeFileSync(file, `${keys}\n`, { mode: 0o600 });
  return keys;
}

function devSecret(dataDir: string, name: string, prefix: string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[\x21-\x7e]{32,512}$/.test(stored)) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = `${prefix}_${randomBytes(24).toString('hex')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
