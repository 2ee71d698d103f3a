import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { stringify } from 'yaml';
import { moduleAccessArgs } from './cassandra-jvm';
import { nodeAddress } from './cluster-addresses';
import { ringMembers } from './nodetool';
import type { ProcessSpec } from './process-spec';

export interface LocalCassandraOptions {
  readonly java: string;
  readonly classpath: string;
  /** Holds data, commit log, caches, hints, the generated config and the logs. */
  readonly dataDir: string;
  readonly port: number;
  readonly storagePort: number;
  readonly heap: string;
  readonly clusterName?: string;
  /**
   * This node's listen, broadcast and CQL address: 127.0.0.1 unless it is one node of a local
   * cluster (127.0.0.N, every node on the same ports — the loopback range needs no setup on Linux).
   */
  readonly address?: string;
  /** `host:storagePort` of the seed node; a single node is its own seed. */
  readonly seed?: string;
  /** Local JMX (127.0.0.1 only) for nodetool: repair, status. Unset: no JMX. */
  readonly jmxPort?: number;
  /** Process name; `cassandra` unless it is one node of a cluster. */
  readonly name?: string;
  /**
   * A cluster node is ready only once the ring agrees: `members` nodes up and normal in the view
   * of each node on `jmxPorts` (nodetool). CQL answering is not enough — right after a node
   * joins, the others may not count it yet, and a quorum write then fails with "Cannot achieve
   * consistency level LOCAL_QUORUM" (seen here creating Temporal's schema on three fresh nodes).
   */
  readonly ringReady?: { readonly members: number; readonly jmxPorts: readonly number[] };
}

/** True when every view on `jmxPorts` counts at least `members` nodes up and normal (UN). */
async function ringUp(
  options: LocalCassandraOptions,
  ring: NonNullable<LocalCassandraOptions['ringReady']>,
): Promise<boolean> {
  for (const port of ring.jmxPorts) {
    const up = (await ringMembers(options, port)).filter((m) => m.state === 'UN');
    if (up.length < ring.members) return false;
  }
  return true;
}

/** A local cluster of `nodes` Cassandra processes: what `localCassandraCluster` needs. */
export interface LocalCassandraClusterOptions extends Omit<
  LocalCassandraOptions,
  'address' | 'seed' | 'jmxPort' | 'name'
> {
  readonly nodes: number;
  /** Node N's nodetool port is `jmxPort + N - 1`. */
  readonly jmxPort: number;
}

/** The smallest cassandra.yaml a single local node needs, everything bound to 127.0.0.1. */
export function cassandraYaml(options: LocalCassandraOptions): string {
  const dir = (name: string) => join(options.dataDir, name);
  const address = options.address ?? '127.0.0.1';
  const seed = options.seed ?? `${address}:${options.storagePort}`;
  return stringify({
    cluster_name: options.clusterName ?? 'invincible-local',
    num_tokens: 16,
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    endpoint_snitch: 'SimpleSnitch',
    // A single node has no replica to cover for it: a write is acknowledged only once it is in
    // the commit log on disk. With Cassandra's default (`periodic`, every 10 s) a SIGKILL lost up
    // to 10 s of acknowledged writes — purchases answered 201 and gone (found by the soak).
    commitlog_sync: 'batch',
    seed_provider: [
      {
        class_name: 'org.apache.cassandra.locator.SimpleSeedProvider',
        parameters: [{ seeds: seed }],
      },
    ],
    listen_address: address,
    rpc_address: address,
    // The nodes of a local cluster are created together and empty: there is nothing to stream,
    // and joining without bootstrap skips its 30 s ring delay per node. A node that already
    // joined (a restart) never bootstraps anyway; its data directory says it is part of the ring.
    ...(seed.startsWith(`${address}:`) ? {} : { auto_bootstrap: false }),
    native_transport_port: options.port,
    storage_port: options.storagePort,
    start_native_transport: true,
    data_file_directories: [dir('data')],
    commitlog_directory: dir('commitlog'),
    saved_caches_directory: dir('saved_caches'),
    hints_directory: dir('hints'),
    cdc_raw_directory: dir('cdc_raw'),
    storage_compatibility_mode: 'NONE',
    crypto_provider: [
      {
        class_name: 'org.apache.cassandra.security.DefaultCryptoProvider',
        parameters: [{ fail_on_missing_provider: 'false' }],
      },
    ],
    // Lightweight transactions are how the repository makes retried writes idempotent. A commit
    // log synced per write makes each Paxos round slower on a busy machine, and contended rounds
    // (50 increments of one account at once) retry within this bound: 1 s timed out under load.
    cas_contention_timeout: '5000ms',
    write_request_timeout: '5000ms',
    // Paxos v2 (Cassandra 4.1+; Cassandra 5 still defaults to v1): fewer round trips per LWT, and
    // a condition that fails (a replayed IF NOT EXISTS, a stale save) ends after its read with no
    // proposal. bench:ledger here, three runs each: replayed record / plain INSERT p50 1.94–1.99×
    // (v1 2.35–2.77×), IF NOT EXISTS / plain p99 1.68–2.74× (v1 2.59–2.79×). Paxos state written
    // under v1 is read by v2: an existing data directory just restarts with it.
    paxos_variant: 'v2',
  });
}

/** Console at WARN (the supervisor's terminal stays readable), everything at INFO in a file. */
export function logbackXml(logDir: string): string {
  return `<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>${logDir}/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>${logDir}/system.log.%i.zip</fileNamePattern>
      <minIndex>1</minIndex><maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>%-5level %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="STDOUT"/></root>
</configuration>
`;
}

/** JVM flags: heap, module access (moduleAccessArgs), and the local start-up shortcuts. */
export function cassandraJvmArgs(
  options: LocalCassandraOptions,
  configFile: string,
  logbackFile: string,
): string[] {
  return [
    `-Xms${options.heap}`,
    `-Xmx${options.heap}`,
    '-XX:+UseG1GC',
    '-XX:+HeapDumpOnOutOfMemoryError',
    // A JVM that ran out of memory must not keep serving with possibly corrupt state.
    '-XX:+ExitOnOutOfMemoryError',
    `-XX:HeapDumpPath=${options.dataDir}`,
    '-Djdk.attach.allowAttachSelf=true',
    ...moduleAccessArgs(),
    '-Dio.netty.tryReflectionSetAccessible=true',
    ...(options.jmxPort === undefined ? [] : [`-Dcassandra.jmx.local.port=${options.jmxPort}`]),
    `-Dcassandra.config=file://${configFile}`,
    `-Dlogback.configurationFile=${logbackFile}`,
    `-Dcassandra.logdir=${join(options.dataDir, 'logs')}`,
    `-Dcassandra.storagedir=${options.dataDir}`,
    `-Dcassandra.triggers_dir=${join(options.dataDir, 'triggers')}`,
    '-Dcassandra-foreground=true',
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.load_ring_state=false',
    '-cp',
    options.classpath,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

/** True once a CQL query succeeds: the readiness definition of the local Cassandra. */
export async function cqlAnswers(
  contactPoint: string,
  localDataCenter = 'datacenter1',
): Promise<boolean> {
  const client = new Client({
    contactPoints: [contactPoint],
    localDataCenter,
    socketOptions: { connectTimeout: 2_000, readTimeout: 5_000 },
  });
  try {
    await client.connect();
    await client.execute('SELECT release_version FROM system.local');
    return true;
  } catch {
    return false;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** Writes the generated config into the data directory and describes the JVM process. */
export function localCassandra(options: LocalCassandraOptions): ProcessSpec {
  const confDir = join(options.dataDir, 'conf');
  const logDir = join(options.dataDir, 'logs');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  mkdirSync(join(options.dataDir, 'triggers'), { recursive: true });
  const configFile = join(confDir, 'cassandra.yaml');
  const logbackFile = join(confDir, 'logback.xml');
  writeFileSync(configFile, cassandraYaml(options));
  writeFileSync(logbackFile, logbackXml(logDir));
  const host = options.address ?? '127.0.0.1';
  const name = options.name ?? 'cassandra';
  return {
    name,
    command: options.java,
    args: cassandraJvmArgs(options, configFile, logbackFile),
    ports: [
      { port: options.port, role: `${name} CQL`, variable: 'CASSANDRA_PORT', host },
      {
        port: options.storagePort,
        role: `${name} storage`,
        variable: 'CASSANDRA_STORAGE_PORT',
        host,
      },
      ...(options.jmxPort === undefined
        ? []
        : [
            {
              port: options.jmxPort,
              role: `${name} JMX (nodetool)`,
              variable: 'CASSANDRA_JMX_PORT',
            },
          ]),
    ],
    ready: {
      description: options.ringReady
        ? `CQL on ${host}:${options.port}, ${options.ringReady.members} nodes up in every node's view`
        : `CQL on ${host}:${options.port}`,
      check: async () =>
        (await cqlAnswers(`${host}:${options.port}`)) &&
        (!options.ringReady || (await ringUp(options, options.ringReady))),
      timeoutMs: 180_000,
      intervalMs: 1_000,
    },
    // Let it flush memtables and close the commit log cleanly.
    stopTimeoutMs: 30_000,
    // Known, harmless warnings of a single local node started from the bare jar (they stay in
    // logs/system.log and in the start-up tail shown if it fails).
    quiet: new RegExp(
      [
        'sigar',
        'AmazonCorrettoCryptoProvider',
        'setSecurityManager',
        'terminally deprecated method',
        'Please consider reporting this',
        'will be removed in a future release',
        'JMX is not enabled',
        'vm.max_map_count',
        'read_ahead_kb',
        'No host ID found',
        'Unable to lock JVM memory',
      ].join('|'),
      'i',
    ),
  };
}

/**
 * The processes of a local cluster, in start order: node 1 (the seed) first, then each other
 * node once the one before answers CQL (Cassandra lets one node join the ring at a time). Node N
 * listens on 127.0.0.N with the same ports, keeps its data in `<dataDir>/node<N>`, and serves
 * nodetool on `jmxPort + N - 1`. One node is the plain single node (`cassandra`, in `dataDir`,
 * no JMX: nothing to repair).
 */
export function localCassandraCluster(options: LocalCassandraClusterOptions): ProcessSpec[] {
  const { nodes, jmxPort, ...node } = options;
  if (nodes === 1) return [localCassandra(node)];
  return Array.from({ length: nodes }, (_, i) =>
    localCassandra({
      ...node,
      name: `cassandra-${i + 1}`,
      address: nodeAddress(i + 1),
      seed: `${nodeAddress(1)}:${options.storagePort}`,
      jmxPort: jmxPort + i,
      dataDir: join(options.dataDir, `node${i + 1}`),
      // Node i + 1 is ready once it and every node before it count i + 1 nodes up.
      ringReady: {
        members: i + 1,
        jmxPorts: Array.from({ length: i + 1 }, (_, j) => jmxPort + j),
      },
    }),
  );
}
