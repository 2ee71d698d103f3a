import { loadConfig } from './config';

describe('loadConfig (api)', () => {
  it('defaults to a local stack', () => {
    expect(loadConfig({})).toEqual({
      http: {
        port: 3000,
        host: '127.0.0.1',
        shutdownTimeoutMs: 10_000,
        shutdownDelayMs: 0,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5_000,
      },
      logLevel: 'info',
      temporal: {
        connectionOptions: { address: 'localhost:7233' },
        namespace: 'default',
        summary: 'localhost:7233, namespace default, plaintext',
      },
      payloadCodec: undefined,
      codecCorsOrigins: [],
      console: null,
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
      unauthenticatedLimitPerMinute: 60,
      limits: {
        minBillingInterval: 'second',
        startAtMaxBackdateMs: 86_400_000,
        startAtMaxAheadMs: 365 * 86_400_000,
      },
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

  it('refuses second and minute billing in production unless told, and parses the startAt bounds', () => {
    const key = 'shop:0123456789abcdef';
    expect(
      loadConfig({ NODE_ENV: 'production', API_KEYS: key, SIGNING_SECRET: 's'.repeat(32) }).limits
        .minBillingInterval,
    ).toBe('hour');
    expect(
      loadConfig({
        NODE_ENV: 'production',
        API_KEYS: key,
        SIGNING_SECRET: 's'.repeat(32),
        MIN_BILLING_INTERVAL: 'minute',
      }).limits.minBillingInterval,
    ).toBe('minute');
    expect(
      loadConfig({ START_AT_MAX_BACKDATE: '30m', START_AT_MAX_AHEAD: '90d' }).limits,
    ).toMatchObject({ startAtMaxBackdateMs: 1_800_000, startAtMaxAheadMs: 90 * 86_400_000 });
    expect(() =>
      loadConfig({ MIN_BILLING_INTERVAL: 'fortnight', START_AT_MAX_BACKDATE: 'a day' }),
    ).toThrow(/MIN_BILLING_INTERVAL[\s\S]*START_AT_MAX_BACKDATE: a duration such as 24h/);
  });

  it('reads the slow-client timeouts and refuses a header timeout longer than the request timeout', () => {
    expect(
      loadConfig({
        HEADERS_TIMEOUT_MS: '2000',
        REQUEST_TIMEOUT_MS: '4000',
        KEEP_ALIVE_TIMEOUT_MS: '65000',
      }).http,
    ).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 4_000,
      keepAliveTimeoutMs: 65_000,
    });
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      /HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS/,
    );
    expect(
      loadConfig({ UNAUTHENTICATED_LIMIT_PER_MINUTE: '10' }).unauthenticatedLimitPerMinute,
    ).toBe(10);
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
