import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devAdminKey, devApiKey, devSigningSecret } from './dev-api-key';

describe('devApiKey', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dev-key-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a key once, readable only by its owner, and returns the same one on every start', () => {
    const key = devApiKey(dir);
    expect(key).toMatch(/^dev_[0-9a-f]{48}$/);
    expect(statSync(join(dir, 'api-dev-key')).mode & 0o777).toBe(0o600);
    expect(devApiKey(dir)).toBe(key);
  });

  it('replaces a file that does not hold a usable key', () => {
    writeFileSync(join(dir, 'api-dev-key'), 'short\n');
    expect(devApiKey(dir)).toMatch(/^dev_/);
  });

  it('keeps an admin key and a signing secret of their own beside it', () => {
    const admin = devAdminKey(dir);
    const signing = devSigningSecret(dir);
    expect(admin).toMatch(/^admin_[0-9a-f]{48}$/);
    expect(signing).toMatch(/^sign_[0-9a-f]{48}$/);
    expect(new Set([admin, signing, devApiKey(dir)]).size).toBe(3);
    expect([devAdminKey(dir), devSigningSecret(dir)]).toEqual([admin, signing]);
  });
});
