import { parse } from 'yaml';
import type { TemporalCassandraConnection } from '../config';
import {
  frontendTlsConfig,
  temporalServerArgs,
  temporalServerConfig,
  temporalServerPorts,
} from './temporal-cassandra';
import { temporalUiConfig } from './temporal-ui';

const local: TemporalCassandraConnection = {
  via: 'local',
  hosts: ['127.0.0.1'],
  port: 9042,
  username: undefined,
  password: undefined,
  tls: undefined,
  datacenter: undefined,
  disableInitialHostLookup: false,
};

type Config = {
  persistence: {
    defaultStore: string;
    visibilityStore: string;
    numHistoryShards: number;
    datastores: Record<
      string,
      { cassandra?: Record<string, unknown>; sql?: Record<string, unknown> }
    >;
  };
  services: Record<string, { rpc: Record<string, unknown> }>;
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
};

function render(cassandra = local, historyShards = 4): Config {
  return parse(
    temporalServerConfig({
      port: 7233,
      historyShards,
      keyspace: 'temporal',
      cassandra,
      dataDir: '/data/temporal-cassandra',
    }),
  ) as Config;
}

describe('temporalServerPorts', () => {
  it("keeps Temporal's own default layout around the frontend port", () => {
    expect(temporalServerPorts(7233)).toEqual({
      frontend: 7233,
      frontendHttp: 7243,
      history: 7234,
      matching: 7235,
      worker: 7239,
      frontendMembership: 6933,
      historyMembership: 6934,
      matchingMembership: 6935,
      workerMembership: 6939,
    });
  });

  it('moves every port with the frontend, without overlap', () => {
    const ports = Object.values(temporalServerPorts(17333));
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.min(...ports)).toBe(17033);
  });
});

describe('temporalServerConfig', () => {
  it('stores history in Cassandra and visibility in SQLite under the data directory', () => {
    const { persistence } = render();
    expect(persistence.numHistoryShards).toBe(4);
    expect(persistence.datastores[persistence.defaultStore]?.cassandra).toMatchObject({
      hosts: '127.0.0.1',
      port: 9042,
      keyspace: 'temporal',
    });
    expect(persistence.datastores[persistence.visibilityStore]?.sql).toMatchObject({
      pluginName: 'sqlite',
      databaseName: '/data/temporal-cassandra/visibility.db',
      connectAttributes: { mode: 'rwc', setup: 'true' },
    });
  });

  it('binds every service to 127.0.0.1 on the derived ports', () => {
    const { services, clusterMetadata } = render();
    expect(Object.keys(services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const service of Object.values(services)) {
      expect(service.rpc['bindOnIP']).toBe('127.0.0.1');
    }
    expect(services['frontend']?.rpc).toMatchObject({ grpcPort: 7233, httpPort: 7243 });
    expect(clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:7233');
  });

  it('takes the history shard count as configured', () => {
    expect(render(local, 16).persistence.numHistoryShards).toBe(16);
  });

  it('carries credentials, TLS and the data center of a remote cluster', () => {
    const { persistence } = render({
      via: 'hosts',
      hosts: ['10.0.0.1', '10.0.0.2'],
      port: 9142,
      username: 'temporal',
      password: 's3cret',
      tls: { caFile: '/etc/ca.pem', serverName: 'cassandra.internal' },
      datacenter: 'dc1',
      disableInitialHostLookup: false,
    });
    expect(persistence.datastores[persistence.defaultStore]?.cassandra).toMatchObject({
      hosts: '10.0.0.1,10.0.0.2',
      port: 9142,
      user: 'temporal',
      password: 's3cret',
      datacenter: 'dc1',
      tls: {
        enabled: true,
        enableHostVerification: true,
        caFile: '/etc/ca.pem',
        serverName: 'cassandra.internal',
      },
    });
  });

  it('talks to an Astra CQL proxy as the only host', () => {
    const { persistence } = render({
      ...local,
      via: 'proxy',
      hosts: ['127.0.0.1'],
      port: 9044,
      disableInitialHostLookup: true,
    });
    const cassandra = persistence.datastores[persistence.defaultStore]?.cassandra;
    expect(cassandra).toMatchObject({ port: 9044, disableInitialHostLookup: true });
    expect(cassandra).not.toHaveProperty('tls');
    expect(cassandra).not.toHaveProperty('user');
  });
});

describe('frontendTlsConfig', () => {
  const tls = {
    certFile: '/pki/server.pem',
    keyFile: '/pki/server.key',
    clientCaFile: '/pki/ca.pem',
    client: {
      certFile: '/pki/client.pem',
      keyFile: '/pki/client.key',
      serverCaFile: '/pki/ca.pem',
      serverName: 'localhost',
    },
  };

  it('requires client certificates of the CA on the frontend, and gives the system worker its own', () => {
    expect(frontendTlsConfig(tls)).toEqual({
      frontend: {
        server: {
          certFile: '/pki/server.pem',
          keyFile: '/pki/server.key',
          requireClientAuth: true,
          clientCaFiles: ['/pki/ca.pem'],
        },
        client: { serverName: 'localhost', rootCaFiles: ['/pki/ca.pem'] },
      },
      systemWorker: {
        certFile: '/pki/client.pem',
        keyFile: '/pki/client.key',
        client: { serverName: 'localhost', rootCaFiles: ['/pki/ca.pem'] },
      },
    });
  });

  it('is TLS without client certificates when there is no client CA', () => {
    const plain = frontendTlsConfig({
      ...tls,
      clientCaFile: undefined,
      client: { ...tls.client, certFile: undefined, keyFile: undefined },
    });
    expect(plain).toMatchObject({ frontend: { server: { requireClientAuth: false } } });
    expect(plain['systemWorker']).toEqual({
      client: { serverName: 'localhost', rootCaFiles: ['/pki/ca.pem'] },
    });
  });

  it('is part of the server config only when asked', () => {
    const yaml = (frontendTls?: typeof tls) =>
      parse(
        temporalServerConfig({
          port: 7233,
          historyShards: 4,
          keyspace: 'temporal',
          cassandra: local,
          dataDir: '/d',
          frontendTls,
        }),
      ) as { global: Record<string, unknown> };
    expect(yaml().global['tls']).toBeUndefined();
    expect(yaml(tls).global['tls']).toEqual(frontendTlsConfig(tls));
  });
});

describe('temporalServerArgs', () => {
  it('starts every service from the generated config, without an authorizer', () => {
    expect(temporalServerArgs('/data/t')).toEqual([
      '--root',
      '/data/t',
      '--config',
      'config',
      '--env',
      'invincible',
      '--allow-no-auth',
      'start',
    ]);
  });
});

describe('temporalUiConfig', () => {
  it("connects over TLS with the stack's client certificate when the frontend asks for it", () => {
    expect(
      parse(
        temporalUiConfig({
          temporalAddress: '127.0.0.1:7233',
          port: 8233,
          namespace: 'default',
          tls: {
            certFile: '/pki/client.pem',
            keyFile: '/pki/client.key',
            serverCaFile: '/pki/ca.pem',
            serverName: 'localhost',
          },
        }),
      ),
    ).toMatchObject({
      tls: {
        caFile: '/pki/ca.pem',
        certFile: '/pki/client.pem',
        keyFile: '/pki/client.key',
        serverName: 'localhost',
        enableHostVerification: true,
      },
    });
  });

  it('serves the UI on 127.0.0.1 for the given frontend and namespace', () => {
    expect(
      parse(
        temporalUiConfig({ temporalAddress: '127.0.0.1:7233', port: 8233, namespace: 'default' }),
      ),
    ).toMatchObject({
      temporalGrpcAddress: '127.0.0.1:7233',
      host: '127.0.0.1',
      port: 8233,
      enableUi: true,
      defaultNamespace: 'default',
    });
  });
});
