import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  cassandraJvmArgs,
  cassandraYaml,
  localCassandraCluster,
  type LocalCassandraOptions,
} from './cassandra';
import { clusterContactPoints } from './cluster-addresses';
import { temporalDevArgs } from './temporal-dev';

const cassandra: LocalCassandraOptions = {
  java: '/usr/bin/java',
  classpath: '/m2/a.jar:/m2/b.jar',
  dataDir: '/data/cassandra',
  port: 19042,
  storagePort: 17000,
  heap: '1G',
};

describe('cassandraYaml', () => {
  const yaml = parse(cassandraYaml(cassandra)) as Record<string, unknown>;

  it('binds every listener to 127.0.0.1 on the configured ports', () => {
    expect(yaml).toMatchObject({
      listen_address: '127.0.0.1',
      rpc_address: '127.0.0.1',
      native_transport_port: 19042,
      storage_port: 17000,
      start_native_transport: true,
    });
    expect(JSON.stringify(yaml['seed_provider'])).toContain('127.0.0.1:17000');
  });

  it('keeps all state under the data directory', () => {
    expect(yaml['data_file_directories']).toEqual(['/data/cassandra/data']);
    for (const key of [
      'commitlog_directory',
      'saved_caches_directory',
      'hints_directory',
      'cdc_raw_directory',
    ]) {
      expect(String(yaml[key])).toMatch(/^\/data\/cassandra\//);
    }
  });

  it('has the settings Cassandra 5 needs to start from a bare jar', () => {
    expect(yaml).toMatchObject({
      storage_compatibility_mode: 'NONE',
      endpoint_snitch: 'SimpleSnitch',
      partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    });
    expect(JSON.stringify(yaml['crypto_provider'])).toContain('"fail_on_missing_provider":"false"');
  });

  it('acknowledges a write only once it is on disk: one node, no replica to cover a crash', () => {
    expect(yaml['commitlog_sync']).toBe('batch');
    // Slower Paxos rounds under load get room before they are reported timed out.
    expect(yaml).toMatchObject({
      cas_contention_timeout: '5000ms',
      write_request_timeout: '5000ms',
    });
    expect(yaml).not.toHaveProperty('commitlog_sync_period');
  });

  it('runs lightweight transactions on Paxos v2 (fewer round trips than the default v1)', () => {
    expect(yaml['paxos_variant']).toBe('v2');
  });
});

describe('cassandraJvmArgs', () => {
  const args = cassandraJvmArgs(
    cassandra,
    '/data/cassandra/conf/cassandra.yaml',
    '/data/cassandra/conf/logback.xml',
  );

  it('runs the daemon with the heap, config and classpath given', () => {
    expect(args).toEqual(
      expect.arrayContaining([
        '-Xms1G',
        '-Xmx1G',
        '-Dcassandra.config=file:///data/cassandra/conf/cassandra.yaml',
      ]),
    );
    expect(args.slice(-3)).toEqual([
      '-cp',
      '/m2/a.jar:/m2/b.jar',
      'org.apache.cassandra.service.CassandraDaemon',
    ]);
  });

  it("carries the JDK 17 module flags of Cassandra's jvm17-server.options, plus java.nio", () => {
    expect(args).toContain('--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED');
    expect(args).toContain('--add-opens=java.base/java.nio=ALL-UNNAMED');
    expect(args).toContain('-Dcassandra.skip_wait_for_gossip_to_settle=0');
  });
});

describe('localCassandraCluster', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const yamlOf = (dataDir: string) =>
    parse(readFileSync(join(dataDir, 'conf', 'cassandra.yaml'), 'utf8')) as Record<string, unknown>;

  it('is the plain single node for one node: its name, its directory, no JMX', () => {
    const [spec, ...rest] = localCassandraCluster({
      ...cassandra,
      dataDir: dir,
      nodes: 1,
      jmxPort: 17199,
    });
    expect(rest).toEqual([]);
    expect(spec?.name).toBe('cassandra');
    expect(spec?.args.some((a) => a.includes('cassandra.jmx'))).toBe(false);
    expect(yamlOf(dir)).toMatchObject({ listen_address: '127.0.0.1' });
    expect(yamlOf(dir)).not.toHaveProperty('auto_bootstrap');
  });

  it('puts node N on 127.0.0.N with the same ports, all seeded by node 1, nodetool on jmx + N − 1', () => {
    const specs = localCassandraCluster({ ...cassandra, dataDir: dir, nodes: 3, jmxPort: 17199 });
    expect(specs.map((s) => s.name)).toEqual(['cassandra-1', 'cassandra-2', 'cassandra-3']);
    specs.forEach((spec, i) => {
      const n = i + 1;
      const yaml = yamlOf(join(dir, `node${n}`));
      expect(yaml).toMatchObject({
        listen_address: `127.0.0.${n}`,
        rpc_address: `127.0.0.${n}`,
        native_transport_port: 19042,
        storage_port: 17000,
        data_file_directories: [join(dir, `node${n}`, 'data')],
      });
      expect(JSON.stringify(yaml['seed_provider'])).toContain('"seeds":"127.0.0.1:17000"');
      expect(spec.args).toContain(`-Dcassandra.jmx.local.port=${17199 + i}`);
      // Each port is checked free on the node's own address before it starts.
      expect(spec.ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ port: 19042, host: `127.0.0.${n}` }),
          expect.objectContaining({ port: 17000, host: `127.0.0.${n}` }),
          expect.objectContaining({ port: 17199 + i }),
        ]),
      );
    });
    // Ready once the ring agrees, not when CQL first answers: node 3 once nodes 1–3 count 3 up.
    expect(specs.map((s) => s.ready?.description)).toEqual([
      "CQL on 127.0.0.1:19042, 1 nodes up in every node's view",
      "CQL on 127.0.0.2:19042, 2 nodes up in every node's view",
      "CQL on 127.0.0.3:19042, 3 nodes up in every node's view",
    ]);
    // The seed starts the ring; the others join it empty, without a bootstrap's ring delay.
    expect(yamlOf(join(dir, 'node1'))).not.toHaveProperty('auto_bootstrap');
    expect(yamlOf(join(dir, 'node2'))['auto_bootstrap']).toBe(false);
    expect(yamlOf(join(dir, 'node3'))['auto_bootstrap']).toBe(false);
  });

  it('gives the apps and Temporal every node as a contact point', () => {
    expect(clusterContactPoints(3, 19042)).toEqual([
      '127.0.0.1:19042',
      '127.0.0.2:19042',
      '127.0.0.3:19042',
    ]);
  });
});

describe('temporalDevArgs', () => {
  it('persists to a SQLite file and serves the UI for `npm start`', () => {
    expect(
      temporalDevArgs({
        cliPath: 't',
        port: 7233,
        uiPort: 8233,
        dataDir: '/data/temporal',
        namespace: 'default',
      }),
    ).toEqual([
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      '7233',
      '--ui-port',
      '8233',
      '--db-filename',
      '/data/temporal/temporal.db',
      '--search-attribute',
      'CustomerId=Keyword',
      '--search-attribute',
      'SubscriptionStatus=Keyword',
      '--search-attribute',
      'NextChargeAt=Datetime',
      '--log-level',
      'error',
      '--log-format',
      'pretty',
    ]);
  });

  it('runs headless and in memory for tests, creating a custom namespace', () => {
    const args = temporalDevArgs({
      cliPath: 't',
      port: 17233,
      uiPort: undefined,
      dataDir: undefined,
      namespace: 'ci',
    });
    expect(args).toContain('--headless');
    expect(args).not.toContain('--db-filename');
    expect(args).toEqual(expect.arrayContaining(['--namespace', 'ci']));
  });
});
