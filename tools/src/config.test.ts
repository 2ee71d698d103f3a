import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadStackConfig, TEST_PORTS, testPorts, testStackConfig } from './config';

describe('loadStackConfig', () => {
  it('defaults to a local Temporal dev server and a local Cassandra on the usual ports', () => {
    const config = loadStackConfig({ HOME: '/home/dev' });
    expect(config.temporal).toEqual({
      mode: 'local',
      cliPath: undefined,
      port: 7233,
      uiPort: 8233,
      namespace: 'default',
      persistence: { kind: 'dev' },
    });
    expect(config.database).toMatchObject({
      mode: 'local',
      port: 9042,
      storagePort: 7000,
      heap: '1G',
    });
    expect(config.cacheDir).toBe('/home/dev/.cache/invincible');
    expect(config.apiPort).toBe(3000);
  });

  it('starts nothing local for servers given by address', () => {
    const config = loadStackConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042,10.0.0.2:9042',
      CASSANDRA_LOCAL_DATA_CENTER: 'dc2',
    });
    expect(config.temporal).toEqual({
      mode: 'external',
      address: 'temporal.internal:7233',
      namespace: 'default',
    });
    expect(config.database).toEqual({
      mode: 'external',
      contactPoints: '10.0.0.1:9042,10.0.0.2:9042',
      localDataCenter: 'dc2',
    });
  });

  it('prefers Astra DB when its endpoint is set', () => {
    const config = loadStackConfig({
      ASTRA_DB_API_ENDPOINT: 'https://db-id-region.apps.astra.example',
    });
    expect(config.database).toEqual({
      mode: 'astra',
      endpoint: 'https://db-id-region.apps.astra.example',
    });
  });

  it('treats empty variables as unset', () => {
    expect(
      loadStackConfig({ TEMPORAL_ADDRESS: '', CASSANDRA_CONTACT_POINTS: ' ' }).temporal.mode,
    ).toBe('local');
  });

  it('reports every invalid variable at once', () => {
    const attempt = () =>
      loadStackConfig({
        TEMPORAL_PORT: 'seventy',
        CASSANDRA_PORT: '70000',
        CASSANDRA_HEAP: 'lots',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const issues = (error as ConfigError).issues.join('\n');
      expect(issues).toMatch(/TEMPORAL_PORT/);
      expect(issues).toMatch(/CASSANDRA_PORT/);
      expect(issues).toMatch(/CASSANDRA_HEAP: a JVM heap size/);
    }
  });

  describe('CASSANDRA_NODES: a local cluster', () => {
    it('is one node by default, with nothing replicated', () => {
      expect(loadStackConfig({}).database).toMatchObject({
        nodes: 1,
        replicationFactor: 1,
        jmxPort: 7199,
      });
    });

    it('replicates to three of its nodes, and Temporal on it reaches every node', () => {
      const config = loadStackConfig({
        CASSANDRA_NODES: '3',
        CASSANDRA_JMX_PORT: '17199',
        TEMPORAL_PERSISTENCE: 'cassandra',
      });
      expect(config.database).toMatchObject({ nodes: 3, replicationFactor: 3, jmxPort: 17199 });
      if (config.temporal.mode !== 'local' || config.temporal.persistence.kind !== 'cassandra')
        throw new Error('expected Temporal on the local Cassandra');
      expect(config.temporal.persistence.replicationFactor).toBe(3);
      expect(config.temporal.persistence.cassandra.hosts).toEqual([
        '127.0.0.1',
        '127.0.0.2',
        '127.0.0.3',
      ]);
      // Five nodes still keep three copies.
      expect(loadStackConfig({ CASSANDRA_NODES: '5' }).database).toMatchObject({
        replicationFactor: 3,
      });
    });

    it('refuses a cluster beside a database given by address, and sizes out of range', () => {
      expect(() =>
        loadStackConfig({ CASSANDRA_NODES: '3', CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042' }),
      ).toThrow(/CASSANDRA_NODES=3 starts a local cluster.*CASSANDRA_CONTACT_POINTS: unset one/);
      expect(() => loadStackConfig({ CASSANDRA_NODES: '0' })).toThrow(/CASSANDRA_NODES/);
      expect(() => loadStackConfig({ CASSANDRA_NODES: '10' })).toThrow(/CASSANDRA_NODES/);
    });
  });

  describe('TEMPORAL_PERSISTENCE=cassandra', () => {
    const persistence = (env: NodeJS.ProcessEnv) => {
      const { temporal } = loadStackConfig({ TEMPORAL_PERSISTENCE: 'cassandra', ...env });
      if (temporal.mode !== 'local') throw new Error('expected a local Temporal');
      return temporal.persistence;
    };
    const issues = (env: NodeJS.ProcessEnv): string => {
      try {
        loadStackConfig(env);
      } catch (error) {
        return (error as ConfigError).issues.join('\n');
      }
      throw new Error('expected a ConfigError');
    };

    it('defaults to 4 shards in keyspace temporal of the local Cassandra, created with RF 1', () => {
      expect(persistence({ CASSANDRA_PORT: '19042' })).toEqual({
        kind: 'cassandra',
        historyShards: 4,
        keyspace: 'temporal',
        createKeyspace: true,
        replicationFactor: 1,
        cassandra: {
          via: 'local',
          hosts: ['127.0.0.1'],
          port: 19042,
          username: undefined,
          password: undefined,
          tls: undefined,
          datacenter: undefined,
          disableInitialHostLookup: false,
        },
      });
    });

    it('reaches a remote cluster by environment alone: hosts, credentials, TLS', () => {
      expect(
        persistence({
          CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042',
          TEMPORAL_HISTORY_SHARDS: '512',
          TEMPORAL_CASSANDRA_KEYSPACE: 'temporal_prod',
          TEMPORAL_CASSANDRA_HOSTS: '10.0.0.1, 10.0.0.2',
          TEMPORAL_CASSANDRA_PORT: '9142',
          TEMPORAL_CASSANDRA_USERNAME: 'temporal',
          TEMPORAL_CASSANDRA_PASSWORD: 's3cret',
          TEMPORAL_CASSANDRA_TLS: 'true',
          TEMPORAL_CASSANDRA_TLS_CA_FILE: '/etc/ca.pem',
          TEMPORAL_CASSANDRA_DATACENTER: 'dc1',
        }),
      ).toEqual({
        kind: 'cassandra',
        historyShards: 512,
        keyspace: 'temporal_prod',
        createKeyspace: true,
        replicationFactor: 3,
        cassandra: {
          via: 'hosts',
          hosts: ['10.0.0.1', '10.0.0.2'],
          port: 9142,
          username: 'temporal',
          password: 's3cret',
          tls: { caFile: '/etc/ca.pem', serverName: undefined },
          datacenter: 'dc1',
          disableInitialHostLookup: false,
        },
      });
    });

    it('reaches Astra DB through its CQL proxy, creating no keyspace', () => {
      expect(
        persistence({
          ASTRA_DB_API_ENDPOINT: 'https://db.apps.astra.example',
          TEMPORAL_CASSANDRA_PROXY: '127.0.0.1:9044',
          TEMPORAL_CASSANDRA_KEYSPACE: 'temporal',
        }),
      ).toMatchObject({
        createKeyspace: false,
        cassandra: {
          via: 'proxy',
          hosts: ['127.0.0.1'],
          port: 9044,
          tls: undefined,
          disableInitialHostLookup: true,
        },
      });
    });

    it('rejects combinations that cannot both hold, each with what to change', () => {
      const all = issues({
        TEMPORAL_PERSISTENCE: 'cassandra',
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_CASSANDRA_HOSTS: 'a:9042',
        TEMPORAL_CASSANDRA_PROXY: '127.0.0.1:9044',
        TEMPORAL_CASSANDRA_USERNAME: 'only-a-name',
        TEMPORAL_CASSANDRA_TLS_CA_FILE: '/etc/ca.pem',
      });
      expect(all).toMatch(/TEMPORAL_ADDRESS uses an existing one: unset one of them/);
      expect(all).toMatch(/TEMPORAL_CASSANDRA_HOSTS and TEMPORAL_CASSANDRA_PROXY: set one/);
      expect(all).toMatch(/TEMPORAL_CASSANDRA_HOSTS: .*without ports/);
      expect(all).toMatch(/TEMPORAL_CASSANDRA_USERNAME and TEMPORAL_CASSANDRA_PASSWORD: set both/);
      expect(all).toMatch(/set TEMPORAL_CASSANDRA_TLS=true as well/);
      expect(all).toMatch(/not used with TEMPORAL_CASSANDRA_PROXY/);
    });

    it('serves the frontend over mTLS with TEMPORAL_SERVER_TLS_*, its clients using TEMPORAL_TLS_*', () => {
      const dir = mkdtempSync(join(tmpdir(), 'stack-tls-'));
      const file = (name: string) => {
        writeFileSync(join(dir, name), name);
        return join(dir, name);
      };
      const env = {
        TEMPORAL_PERSISTENCE: 'cassandra',
        TEMPORAL_SERVER_TLS_CERT_PATH: file('server.pem'),
        TEMPORAL_SERVER_TLS_KEY_PATH: file('server.key'),
        TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: file('ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
      };
      const config = loadStackConfig(env);
      expect(config.temporal).toMatchObject({
        persistence: {
          frontendTls: {
            certFile: join(dir, 'server.pem'),
            keyFile: join(dir, 'server.key'),
            clientCaFile: join(dir, 'ca.pem'),
            client: {
              certFile: join(dir, 'client.pem'),
              keyFile: join(dir, 'client.key'),
              serverCaFile: join(dir, 'ca.pem'),
              serverName: 'localhost',
            },
          },
        },
      });
      // The stack's own probes connect as the apps do: with the client certificate.
      expect(config.temporalConnection).toMatchObject({
        tls: { clientCertPair: { crt: Buffer.from('client.pem'), key: Buffer.from('client.key') } },
      });
      const { TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, ...partial } = env;
      void [TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH];
      const all = issues(partial);
      expect(all).toMatch(
        /TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: .*set TEMPORAL_TLS_CLIENT_CERT_PATH/,
      );
      expect(all).toMatch(/TEMPORAL_SERVER_TLS_CERT_PATH: set TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
      expect(issues({ TEMPORAL_SERVER_TLS_CERT_PATH: file('x.pem') })).toMatch(
        /TEMPORAL_SERVER_TLS_CERT_PATH: only used with TEMPORAL_PERSISTENCE=cassandra/,
      );
      rmSync(dir, { recursive: true, force: true });
    });

    it('asks where Temporal keeps its keyspace when the business data is remote', () => {
      expect(
        issues({ TEMPORAL_PERSISTENCE: 'cassandra', CASSANDRA_CONTACT_POINTS: 'db:9042' }),
      ).toMatch(/keeps its keyspace with TEMPORAL_CASSANDRA_HOSTS .* or TEMPORAL_CASSANDRA_PROXY/);
    });

    it('refuses Temporal-on-Cassandra settings while Temporal runs on the dev server', () => {
      expect(issues({ TEMPORAL_CASSANDRA_HOSTS: 'db' })).toMatch(
        /TEMPORAL_CASSANDRA_HOSTS: only used with TEMPORAL_PERSISTENCE=cassandra \(it is dev\)/,
      );
    });

    it('rejects an unknown persistence, a bad shard count and a bad keyspace name', () => {
      const all = issues({
        TEMPORAL_PERSISTENCE: 'sqlite',
        TEMPORAL_HISTORY_SHARDS: '0',
        TEMPORAL_CASSANDRA_KEYSPACE: 'temporal-prod',
      });
      expect(all).toMatch(/TEMPORAL_PERSISTENCE/);
      expect(all).toMatch(/TEMPORAL_HISTORY_SHARDS/);
      expect(all).toMatch(/TEMPORAL_CASSANDRA_KEYSPACE: a Cassandra keyspace name/);
    });
  });
});

describe('loadStackConfig: the local trace viewer', () => {
  it("is off by default, on Jaeger's own ports", () => {
    expect(loadStackConfig({}).traces).toEqual({
      enabled: false,
      jaegerPath: undefined,
      ports: { ui: 16686, otlpGrpc: 4317, otlpHttp: 4318 },
    });
  });

  it('turns on with INVINCIBLE_TRACES (what --traces sets) and takes a binary and ports', () => {
    const config = loadStackConfig({
      INVINCIBLE_TRACES: '1',
      JAEGER_PATH: '/opt/jaeger/jaeger',
      JAEGER_UI_PORT: '26686',
      JAEGER_OTLP_GRPC_PORT: '24317',
      JAEGER_OTLP_HTTP_PORT: '24318',
    });
    expect(config.traces).toEqual({
      enabled: true,
      jaegerPath: '/opt/jaeger/jaeger',
      ports: { ui: 26686, otlpGrpc: 24317, otlpHttp: 24318 },
    });
    expect(loadStackConfig({ INVINCIBLE_TRACES: 'false' }).traces.enabled).toBe(false);
  });

  it('names every bad variable, and ports that clash (the query gRPC port is the UI port − 1)', () => {
    const message = (env: NodeJS.ProcessEnv) => {
      try {
        loadStackConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('no ConfigError');
    };
    const bad = message({ INVINCIBLE_TRACES: 'yes', JAEGER_OTLP_HTTP_PORT: '70000' });
    expect(bad).toMatch(/INVINCIBLE_TRACES/);
    expect(bad).toMatch(/JAEGER_OTLP_HTTP_PORT/);
    expect(message({ JAEGER_OTLP_GRPC_PORT: '4318' })).toMatch(
      /JAEGER_OTLP_GRPC_PORT and JAEGER_OTLP_HTTP_PORT: both are 4318/,
    );
    expect(message({ JAEGER_UI_PORT: '4319' })).toMatch(
      /JAEGER_UI_PORT − 1 \(query gRPC\) and JAEGER_OTLP_HTTP_PORT: both are 4318/,
    );
  });
});

describe('testPorts / testStackConfig', () => {
  it('puts the test servers on ports of their own, each moved by its *_TEST_PORT variable', () => {
    expect(testPorts({})).toEqual(TEST_PORTS);
    expect(
      testPorts({ CASSANDRA_TEST_PORT: '29042', TEMPORAL_CASSANDRA_TEST_PORT: '27333' }),
    ).toMatchObject({ cassandra: 29042, temporalOnCassandra: 27333, temporal: 17233 });
    expect(() => testPorts({ DATA_API_TEST_PORT: 'eighty' })).toThrow(/DATA_API_TEST_PORT/);
  });

  it('runs one local node and the dev server on those ports, whatever the environment says for npm start', () => {
    const config = testStackConfig({
      HOME: '/home/dev',
      TEMPORAL_PERSISTENCE: 'cassandra',
      TEMPORAL_CASSANDRA_HOSTS: 'db1',
      CASSANDRA_PORT: '9999',
      CASSANDRA_NODES: '3',
      TEMPORAL_TEST_PORT: '27233',
    });
    expect(config.temporal).toMatchObject({
      mode: 'local',
      port: 27233,
      persistence: { kind: 'dev' },
    });
    expect(config.database).toMatchObject({
      mode: 'local',
      port: 19042,
      storagePort: 17000,
      nodes: 1,
    });
  });
});
