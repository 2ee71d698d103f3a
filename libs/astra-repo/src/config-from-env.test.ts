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
        // Remote hosts: a cluster, three replicas unless told.
        replicationFactor: 3,
        credentials: { username: 'u', password: 'p' },
      },
    });
  });

  it('replicates the keyspace once on this machine, three times elsewhere, unless told', () => {
    const rf = (env: Record<string, string>) => {
      const parsed = repositoryConfigFromEnv(env);
      return parsed.ok && parsed.config.backend === 'cassandra'
        ? parsed.config.replicationFactor
        : 0;
    };
    expect(rf({})).toBe(1);
    expect(rf({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:39142,localhost:9042,[::1]:9042' })).toBe(1);
    expect(rf({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042,10.0.0.7:9042' })).toBe(3);
    expect(rf({ CASSANDRA_CONTACT_POINTS: 'cassandra-0.cassandra:9042' })).toBe(3);
    expect(
      rf({ CASSANDRA_CONTACT_POINTS: 'cassandra-0:9042', CASSANDRA_REPLICATION_FACTOR: '2' }),
    ).toBe(2);
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
