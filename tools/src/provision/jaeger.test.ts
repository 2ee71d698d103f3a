import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MissingToolError, ProvisionError } from '../errors';
import type { Logger } from '../log';
import {
  cachedJaegerPath,
  cachedJaegerUiPath,
  ensureJaeger,
  ensureJaegerUi,
  isJaegerUiBuild,
} from './jaeger';

const log: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('Jaeger provisioning', () => {
  let cacheDir: string;
  /** A PATH with neither go nor cargo on it. */
  let emptyPath: string;

  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'invincible-jaeger-cache-'));
    emptyPath = join(cacheDir, 'empty-bin');
    mkdirSync(emptyPath);
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  function executable(path: string): string {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  }

  it('uses JAEGER_PATH as is, and refuses one that is not an executable file', async () => {
    const given = executable(join(cacheDir, 'mine', 'jaeger'));
    const options = { cacheDir, env: { PATH: emptyPath }, log };
    await expect(ensureJaeger({ ...options, jaegerPath: given })).resolves.toBe(given);
    await expect(
      ensureJaeger({ ...options, jaegerPath: join(cacheDir, 'missing') }),
    ).rejects.toThrow(
      new ProvisionError(`JAEGER_PATH=${join(cacheDir, 'missing')} is not an executable file`),
    );
  });

  it('finds a cached build without Go, and without either names Go and the ways around it', async () => {
    const options = { cacheDir, jaegerPath: undefined, env: { PATH: emptyPath }, log };
    const error = await ensureJaeger(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingToolError);
    expect(String(error)).toMatch(/Go .* was not found\. .*JAEGER_PATH.*--traces/);
    const cached = executable(cachedJaegerPath(cacheDir));
    expect(cached).toBe(join(cacheDir, 'jaeger-v1.76.0', 'bin', 'jaeger'));
    await expect(ensureJaeger(options)).resolves.toBe(cached);
  });

  it('takes a cached UI build only if its index.html has the query service injection point', async () => {
    const build = cachedJaegerUiPath(cacheDir);
    const options = { cacheDir, env: { PATH: emptyPath }, log };
    mkdirSync(build, { recursive: true });
    writeFileSync(join(build, 'index.html'), '<title>Test Page</title>');
    expect(isJaegerUiBuild(build)).toBe(false);
    const error = await ensureJaegerUi(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingToolError);
    expect(String(error)).toMatch(/Cargo .* was not found\..*--traces/);

    writeFileSync(
      join(build, 'index.html'),
      '<title>Jaeger UI</title><script>const JAEGER_CONFIG = DEFAULT_CONFIG;</script>',
    );
    expect(isJaegerUiBuild(build)).toBe(true);
    await expect(ensureJaegerUi(options)).resolves.toBe(build);
  });
});
