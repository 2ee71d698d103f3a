import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The development API key of `npm start` when API_KEYS is not set: made once and kept in the
 * data directory (mode 0600), so it survives restarts and scripts can read it from there.
 * Returns the secret; the key's name is `dev`.
 */
export function devApiKey(dataDir: string): string {
  const file = join(dataDir, 'api-dev-key');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[\x21-\x7e]{16,512}$/.test(stored)) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = `dev_${randomBytes(24).toString('hex')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
