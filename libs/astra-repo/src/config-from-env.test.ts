import { repositoryConfigFromEnv } from './config-from-env';

describe('repositoryConfigFromEnv', () => {
  it('uses Cassandra over CQL by default, splitting contact points', () => {
    expect(
      repositoryConfigFromEnv({
        CASSANDRA_CONTACT_POINTS: 'a:9042, b:9042',
        CASSANDRA_USERNAME: 'u',
        CASSANDRA_PASSWORD: 'p',
      }),
    ).toEqual({
      ok: true,
      config: {
        backend: 'cassandra',
        contactPoints: ['a:9042', 'b:9042'],
        localDataCenter: 'datacenter1',
        keyspace: 'invincible',
        replicationFactor: 1,
        credentials: { username: 'u', password: 'p' },
      },
    });
  });

  it('takes an Astra secure connect bundle for CQL', () => {
    const parsed = repositoryConfigFromEnv({
      CASSANDRA_SECURE_CONNECT_BUNDLE: '/secrets/scb.zip',
      CASSANDRA_USERNAME: 'token',
      CASSANDRA_PASSWORD: 'AstraCS:x',
    });
    expect(parsed.ok && parsed.config).toMatchObject({
      backend: 'cassandra',
      secureConnectBundle: '/secrets/scb.zip',
    });
  });

  it('uses a self-managed Data API with username and password', () => {
    const parsed = repositoryConfigFromEnv({
      ASTRA_DB_API_ENDPOINT: 'http://127.0.0.1:8181',
      ASTRA_DB_ENVIRONMENT: 'hcd',
      ASTRA_DB_USERNAME: 'cassandra',
      ASTRA_DB_PASSWORD: 'cassandra',
      ASTRA_DB_KEYSPACE: 'billing',
    });
    expect(parsed).toEqual({
      ok: true,
      config: {
        backend: 'astra',
        endpoint: 'http://127.0.0.1:8181',
        keyspace: 'billing',
        environment: 'hcd',
        auth: { username: 'cassandra', password: 'cassandra' },
      },
    });
  });

  it('reports every problem at once', () => {
    const parsed = repositoryConfigFromEnv({
      CASSANDRA_KEYSPACE: 'drop table; --',
      CASSANDRA_USERNAME: 'only-a-user',
      CASSANDRA_REPLICATION_FACTOR: '0',
    });
    expect(parsed.ok).toBe(false);
    const issues = parsed.ok ? [] : parsed.issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^CASSANDRA_KEYSPACE: letters, digits and underscores/),
        expect.stringMatching(/^CASSANDRA_REPLICATION_FACTOR/),
        'CASSANDRA_PASSWORD: username and password go together',
      ]),
    );
  });

  it('refuses an Astra endpoint without credentials', () => {
    expect(
      repositoryConfigFromEnv({ ASTRA_DB_API_ENDPOINT: 'https://id-region.apps.astra.example' }),
    ).toEqual({
      ok: false,
      issues: ['ASTRA_DB_APPLICATION_TOKEN: required with ASTRA_DB_API_ENDPOINT'],
    });
  });

  it('treats empty variables as unset', () => {
    const parsed = repositoryConfigFromEnv({ ASTRA_DB_API_ENDPOINT: '', CASSANDRA_USERNAME: ' ' });
    expect(parsed.ok && parsed.config.backend).toBe('cassandra');
  });
});
