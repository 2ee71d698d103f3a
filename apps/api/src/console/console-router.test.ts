import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import request from 'supertest';
import { loadConfig } from '../config';
import { testApp } from '../testing/unit-app';

/** A built console as Vite leaves it: index.html and hashed assets. */
function builtConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("console")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('the operator console under /console', () => {
  const dir = builtConsole();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const app = (devApiKey: string | null = null) =>
    testApp(createInMemoryRepository(), {
      console: { dir, namespace: 'billing', temporalUiUrl: 'http://127.0.0.1:8233', devApiKey },
    });

  it("serves the app's index.html for its own routes, never cached, without an API key", async () => {
    for (const path of ['/console/', '/console/customers', '/console/subscriptions/sub_1']) {
      const res = await request(app()).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<div id="root">');
      // Same-origin scripts only: the API's CSP holds for the console too.
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const bare = await request(app()).get('/console');
    expect(bare.status).toBe(301);
    expect(bare.headers['location']).toBe('/console/');
  });

  it('serves hashed assets for a year, and a missing asset is a 404, not the index', async () => {
    const asset = await request(app()).get('/console/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await request(app()).get('/console/assets/index-gone.js')).status).toBe(404);
    expect((await request(app()).get('/console/favicon.svg')).status).toBe(200);
  });

  it('tells the console where the Temporal Web UI is, and offers a development key only if set', async () => {
    const config = await request(app()).get('/console/config.json');
    expect(config.body).toEqual({ temporalUiUrl: 'http://127.0.0.1:8233', namespace: 'billing' });
    const none = await request(app()).get('/console/dev-key.json');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ apiKey: null });
    const offered = await request(app('dev-console-key-0123456789')).get('/console/dev-key.json');
    expect(offered.status).toBe(200);
    expect(offered.headers['cache-control']).toBe('no-store');
    expect(offered.body).toEqual({ apiKey: 'dev-console-key-0123456789' });
  });

  it('is not served without CONSOLE_DIR', async () => {
    const res = await request(testApp(createInMemoryRepository())).get('/console/');
    expect(res.status).toBe(404);
  });
});

describe('CONSOLE_* settings', () => {
  const dir = builtConsole();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { SIGNING_SECRET: 'x'.repeat(32) };

  it('reads the console directory, the Web UI and the development key', () => {
    expect(
      loadConfig({
        ...base,
        CONSOLE_DIR: dir,
        CONSOLE_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
        CONSOLE_DEV_API_KEY: 'dev-console-key-0123456789',
      }).console,
    ).toEqual({
      dir,
      temporalUiUrl: 'http://127.0.0.1:8233',
      devApiKey: 'dev-console-key-0123456789',
    });
    expect(loadConfig(base).console).toBeNull();
    expect(loadConfig({ ...base, CONSOLE_DIR: '' }).console).toBeNull();
  });

  it('refuses a directory without a build, a development key in production, and a bad URL', () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-empty-'));
    try {
      expect(() => loadConfig({ ...base, CONSOLE_DIR: empty })).toThrow(
        `CONSOLE_DIR: no index.html in ${empty} (build the console: npx nx run console:build)`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(() =>
      loadConfig({
        ...base,
        NODE_ENV: 'production',
        CONSOLE_DIR: dir,
        CONSOLE_DEV_API_KEY: 'dev-console-key-0123456789',
      }),
    ).toThrow('CONSOLE_DEV_API_KEY: development only; unset it in production');
    expect(() =>
      loadConfig({ ...base, CONSOLE_DIR: dir, CONSOLE_TEMPORAL_UI_URL: 'javascript:alert(1)' }),
    ).toThrow('CONSOLE_TEMPORAL_UI_URL: a URL such as http://127.0.0.1:8233 (no trailing /)');
    expect(() =>
      loadConfig({ ...base, CONSOLE_DEV_API_KEY: 'dev-console-key-0123456789' }),
    ).toThrow('CONSOLE_DIR: required with CONSOLE_DEV_API_KEY or CONSOLE_TEMPORAL_UI_URL');
  });
});
