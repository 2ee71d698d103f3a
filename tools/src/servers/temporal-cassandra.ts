import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import type { FrontendTls, StackConfig, TemporalCassandraConnection } from '../config';
import type { Logger } from '../log';
import type { ProcessSpec } from './process-spec';
import { searchAttributesReady } from './search-attributes';
import { temporalServing } from './temporal-dev';
import { ensureTemporalSchema } from './temporal-schema';

export interface TemporalOnCassandraOptions {
  readonly server: string;
  readonly schemaTool: string;
  /** The frontend's gRPC port; every other port is derived from it (temporalServerPorts). */
  readonly port: number;
  readonly namespace: string;
  readonly historyShards: number;
  readonly keyspace: string;
  readonly createKeyspace: boolean;
  readonly replicationFactor: number;
  readonly cassandra: TemporalCassandraConnection;
  /** The frontend over TLS, or mTLS with a client CA (TEMPORAL_SERVER_TLS_*). */
  readonly frontendTls?: FrontendTls | undefined;
  /** TLS and credentials of the readiness probes' connections (the TEMPORAL_TLS_* variables). */
  readonly connection?: StackConfig['temporalConnection'];
  /** Generated config, dynamic config and the SQLite visibility store live here. */
  readonly dataDir: string;
  /** Process name in the logs; `temporal` unless two Temporal servers run side by side. */
  readonly name?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/**
 * The server's ports, fixed offsets from the frontend's like Temporal's own defaults (7233
 * frontend, 7234 history, 7235 matching, 7239 worker, 7243 HTTP, membership 6933–6939), so two
 * stacks on different TEMPORAL_PORTs never collide and a clash is named before the start.
 */
export function temporalServerPorts(frontend: number) {
  return {
    frontend,
    frontendHttp: frontend + 10,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    frontendMembership: frontend - 300,
    historyMembership: frontend - 299,
    matchingMembership: frontend - 298,
    workerMembership: frontend - 294,
  } as const;
}

const ENVIRONMENT = 'invincible';

/**
 * A plain connection (no credentials, no TLS) to the first of `contactPoints` (`host:port,…`): the
 * test and benchmark servers on the Cassandra the stack runs.
 */
export function plainCassandraAt(contactPoints: string): TemporalCassandraConnection {
  const [host = '127.0.0.1', port = '9042'] = contactPoints.split(',')[0]?.split(':') ?? [];
  return {
    via: 'hosts',
    hosts: [host],
    port: Number(port),
    username: undefined,
    password: undefined,
    tls: undefined,
    datacenter: undefined,
    disableInitialHostLookup: false,
  };
}

/**
 * The server's YAML config: default store Cassandra (history, executions, tasks, namespaces),
 * visibility on SQLite in the data directory (no Elasticsearch to run), every service bound to
 * 127.0.0.1. A pure function of its options, so it is unit-tested as data.
 */
export function temporalServerConfig(
  options: Pick<
    TemporalOnCassandraOptions,
    'port' | 'historyShards' | 'keyspace' | 'cassandra' | 'dataDir' | 'frontendTls'
  >,
): string {
  const ports = temporalServerPorts(options.port);
  const c = options.cassandra;
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra },
  });
  return stringify({
    // Errors only, like the dev server: stopping makes its internal workers warn at length.
    log: { stdout: true, level: 'error', format: 'console' },
    persistence: {
      defaultStore: 'cassandra-default',
      visibilityStore: 'sqlite-visibility',
      numHistoryShards: options.historyShards,
      datastores: {
        'cassandra-default': {
          cassandra: {
            hosts: c.hosts.join(','),
            port: c.port,
            keyspace: options.keyspace,
            ...(c.username ? { user: c.username, password: c.password } : {}),
            ...(c.datacenter ? { datacenter: c.datacenter } : {}),
            ...(c.disableInitialHostLookup ? { disableInitialHostLookup: true } : {}),
            ...(c.tls
              ? {
                  tls: {
                    enabled: true,
                    enableHostVerification: true,
                    ...(c.tls.caFile ? { caFile: c.tls.caFile } : {}),
                    ...(c.tls.serverName ? { serverName: c.tls.serverName } : {}),
                  },
                }
              : {}),
            connectTimeout: '10s',
            // Temporal's defaults, said out loud: with replication factor 3 one node may be down
            // and every read still sees every acknowledged write.
            consistency: {
              default: { consistency: 'local_quorum', serialConsistency: 'local_serial' },
            },
          },
        },
        'sqlite-visibility': {
          sql: {
            pluginName: 'sqlite',
            databaseName: join(options.dataDir, 'visibility.db'),
            connectAddr: 'localhost',
            connectProtocol: 'tcp',
            connectAttributes: {
              mode: 'rwc',
              setup: 'true',
              journal_mode: 'wal',
              synchronous: '2',
            },
            maxConns: 1,
            maxIdleConns: 1,
            maxConnLifetime: '1h',
          },
        },
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      ...(options.frontendTls ? { tls: frontendTlsConfig(options.frontendTls) } : {}),
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: {
      filepath: join(options.dataDir, 'config', 'dynamicconfig.yaml'),
      pollInterval: '10s',
    },
  });
}

/**
 * The server's `global.tls`: the frontend listens with the given certificate (requiring a client
 * certificate signed by the client CA, for mTLS), and Temporal's own system worker connects to it
 * as any client does — with the TEMPORAL_TLS_* certificate, trusting the server's CA. History and
 * matching talk to each other in plaintext on 127.0.0.1 (internode TLS is for multi-host clusters).
 */
export function frontendTlsConfig(tls: FrontendTls): Record<string, unknown> {
  const client = {
    serverName: tls.client.serverName,
    ...(tls.client.serverCaFile ? { rootCaFiles: [tls.client.serverCaFile] } : {}),
  };
  return {
    frontend: {
      server: {
        certFile: tls.certFile,
        keyFile: tls.keyFile,
        ...(tls.clientCaFile
          ? { requireClientAuth: true, clientCaFiles: [tls.clientCaFile] }
          : { requireClientAuth: false }),
      },
      client,
    },
    systemWorker: {
      ...(tls.client.certFile && tls.client.keyFile
        ? { certFile: tls.client.certFile, keyFile: tls.client.keyFile }
        : {}),
      client,
    },
  };
}

/** Dynamic config: what the CLI's dev server sets too, so both modes behave alike. */
export function temporalDynamicConfig(): string {
  const value = (v: unknown) => [{ value: v, constraints: {} }];
  return stringify({
    'system.forceSearchAttributesCacheRefreshOnRead': value(true),
    'frontend.persistenceMaxQPS': value(10_000),
    'history.persistenceMaxQPS': value(45_000),
  });
}

/** Server arguments: the config directory written by localTemporalOnCassandra. */
export function temporalServerArgs(dataDir: string): string[] {
  return [
    '--root',
    dataDir,
    '--config',
    'config',
    '--env',
    ENVIRONMENT,
    '--allow-no-auth',
    'start',
  ];
}

// gRPC status codes (the numbers are fixed by the gRPC spec).
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function grpcCode(error: unknown): number | undefined {
  return isGrpcServiceError(error) ? error.code : undefined;
}

/**
 * Registers `namespace` unless it exists, then answers whether the server can run workflows in
 * it: the namespace is described and the history service answers for several workflow ids
 * (which hash to different shards) with "not found" rather than "unavailable".
 */
export async function namespaceUsable(
  address: string,
  namespace: string,
  options: StackConfig['temporalConnection'] = {},
): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, address, connectTimeout: 2_000 });
    const service = connection.workflowService;
    await service
      .registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('3 days'),
      })
      .catch((error: unknown) => {
        if (grpcCode(error) !== ALREADY_EXISTS) throw error;
      });
    await service.describeNamespace({ namespace });
    for (let i = 0; i < 8; i++) {
      try {
        await service.describeWorkflowExecution({
          namespace,
          execution: { workflowId: `invincible-readiness-probe-${i}` },
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        if (grpcCode(error) !== NOT_FOUND || /namespace/i.test(message)) return false;
      }
    }
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Describes the Temporal server on Cassandra: the schema is created or upgraded before the
 * process starts (prepare), and it counts as ready once the namespace is registered and usable
 * and has the workflows' search attributes (registered through the OperatorService).
 */
export function localTemporalOnCassandra(options: TemporalOnCassandraOptions): ProcessSpec {
  const ports = temporalServerPorts(options.port);
  const address = `127.0.0.1:${options.port}`;
  return {
    name: options.name ?? 'temporal',
    command: options.server,
    args: temporalServerArgs(options.dataDir),
    ports: [
      { port: ports.frontend, role: 'Temporal frontend (gRPC)', variable: 'TEMPORAL_PORT' },
      { port: ports.frontendHttp, role: 'Temporal frontend (HTTP)' },
      { port: ports.history, role: 'Temporal history' },
      { port: ports.matching, role: 'Temporal matching' },
      { port: ports.worker, role: 'Temporal worker service' },
      { port: ports.frontendMembership, role: 'Temporal frontend membership' },
      { port: ports.historyMembership, role: 'Temporal history membership' },
      { port: ports.matchingMembership, role: 'Temporal matching membership' },
      { port: ports.workerMembership, role: 'Temporal worker membership' },
    ].map((p) => ({ ...p, variable: 'TEMPORAL_PORT' })),
    prepare: async () => {
      const configDir = join(options.dataDir, 'config');
      mkdirSync(configDir, { recursive: true });
      const configFile = join(configDir, `${ENVIRONMENT}.yaml`);
      // It may hold the Cassandra password: readable by its owner only.
      writeFileSync(configFile, temporalServerConfig(options), { mode: 0o600 });
      chmodSync(configFile, 0o600);
      writeFileSync(join(configDir, 'dynamicconfig.yaml'), temporalDynamicConfig());
      await ensureTemporalSchema({
        schemaTool: options.schemaTool,
        keyspace: options.keyspace,
        createKeyspace: options.createKeyspace,
        replicationFactor: options.replicationFactor,
        cassandra: options.cassandra,
        env: options.env,
        log: options.log,
      });
    },
    ready: {
      description: `namespace ${options.namespace} usable, with its search attributes, on ${address}`,
      check: async () =>
        (await temporalServing(address, options.connection)) &&
        (await namespaceUsable(address, options.namespace, options.connection)) &&
        (await searchAttributesReady(address, options.namespace, options.connection)),
      timeoutMs: 120_000,
      intervalMs: 500,
    },
    stopTimeoutMs: 15_000,
    // Go stack frames under each error line, the config loader's chatter, and what a stopping
    // single-node server says while its services leave the ring one by one.
    quiet: new RegExp(
      [
        '^\\s',
        '^(go\\.temporal\\.io|google\\.golang\\.org|github\\.com|go\\.uber\\.org)/',
        '^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d Loading config',
        'Not enough hosts to serve the request',
        'Failed to check Nexus endpoints ownership',
      ].join('|'),
    ),
  };
}
