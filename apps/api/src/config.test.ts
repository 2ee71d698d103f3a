import { loadConfig } from './config';

describe('loadConfig (api)', () => {
  it('defaults to a local stack', () => {
    expect(loadConfig({})).toEqual({
      http: { port: 3000, host: '127.0.0.1', shutdownTimeoutMs: 10_000, shutdownDelayMs: 0 },
      logLevel: 'info',
      temporal: { address: 'localhost:7233', namespace: 'default' },
      repository: {
        backend: 'cassandra',
        contactPoints: ['127.0.0.1:9042'],
        localDataCenter: 'datacenter1',
        keyspace: 'invincible',
        replicationFactor: 1,
      },
      migrateOnStart: true,
      apiKeys: [],
      apiKeysTenant: 'dev',
      adminKeys: [],
      signingSecret: null,
      metricsAccess: 'open',
      metricsPort: null,
      publicDocs: true,
      keyCacheTtlMs: 30_000,
      production: false,
      rateLimitPerMinute: 600,
      queryTimeoutMs: 5_000,
      updateTimeoutMs: 10_000,
    });
  });

  it('keeps listening 5 s after SIGTERM in production only, unless told', () => {
    const key = 'shop:0123456789abcdef';
    expect(
      loadConfig({ NODE_ENV: 'production', API_KEYS: key, SIGNING_SECRET: 's'.repeat(32) }).http
        .shutdownDelayMs,
    ).toBe(5_000);
    expect(loadConfig({ SHUTDOWN_DELAY_MS: '1500' }).http.shutdownDelayMs).toBe(1_500);
  });

  it('parses API keys; production needs none (stored keys) and keeps /metrics off its port', () => {
    expect(loadConfig({ API_KEYS: 'shop:0123456789abcdef, ops:fedcba9876543210' }).apiKeys).toEqual(
      [
        { name: 'shop', secret: '0123456789abcdef' },
        { name: 'ops', secret: 'fedcba9876543210' },
      ],
    );
    expect(() => loadConfig({ API_KEYS: 'shop:short' })).toThrow(
      /API_KEYS: each entry is name:secret/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /SIGNING_SECRET: required in production/,
    );
    const production = loadConfig({ NODE_ENV: 'production', SIGNING_SECRET: 's'.repeat(32) });
    expect(production.apiKeys).toEqual([]);
    expect(production.metricsAccess).toBe('off');
    expect(loadConfig({ METRICS_TOKEN: 'scrape-0123456789ab' }).metricsAccess).toEqual({
      token: 'scrape-0123456789ab',
    });
    expect(loadConfig({ METRICS_PORT: '9464' })).toMatchObject({
      metricsAccess: 'off',
      metricsPort: 9464,
    });
    expect(() => loadConfig({ SIGNING_SECRET: 'short' })).toThrow(/SIGNING_SECRET: at least 32/);
    expect(() => loadConfig({ API_KEYS_TENANT: 'Not~A~Tenant' })).toThrow(/API_KEYS_TENANT/);
  });

  it('switches to Astra DB when its endpoint and token are set', () => {
    const config = loadConfig({
      ASTRA_DB_API_ENDPOINT: 'https://x-y.apps.astra.example',
      ASTRA_DB_APPLICATION_TOKEN: 'AstraCS:t',
    });
    expect(config.repository).toEqual({
      backend: 'astra',
      endpoint: 'https://x-y.apps.astra.example',
      keyspace: 'default_keyspace',
      environment: 'astra',
      auth: { token: 'AstraCS:t' },
    });
  });

  it('lists every invalid variable in one error', () => {
    expect(() =>
      loadConfig({ PORT: 'http', LOG_LEVEL: 'loud', ASTRA_DB_API_ENDPOINT: 'https://x.example' }),
    ).toThrow(
      /PORT[\s\S]*LOG_LEVEL[\s\S]*ASTRA_DB_APPLICATION_TOKEN: required with ASTRA_DB_API_ENDPOINT/,
    );
  });
});
