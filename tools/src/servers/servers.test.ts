import { parse } from 'yaml';
import { cassandraJvmArgs, cassandraYaml, type LocalCassandraOptions } from './cassandra';
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
