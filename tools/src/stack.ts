import { join } from 'node:path';
import type { StackConfig } from './config';
import type { Logger } from './log';
import { ensureJaeger, ensureJaegerUi } from './provision/jaeger';
import { ensureHelm } from './provision/helm';
import { findJava } from './provision/java';
import { ensureClasspath, ensureTestServerExecutable } from './provision/maven';
import { ensureSchemathesis } from './provision/schemathesis';
import { ensureTemporalCli } from './provision/temporal-cli';
import { ensureTemporalServer, type TemporalServerBinaries } from './provision/temporal-server';
import { localCassandraCluster } from './servers/cassandra';
import { clusterContactPoints } from './servers/cluster-addresses';
import { localJaeger } from './servers/jaeger';
import type { ProcessSpec } from './servers/process-spec';
import { localTemporalOnCassandra } from './servers/temporal-cassandra';
import { localTemporal } from './servers/temporal-dev';
import { localTemporalUi } from './servers/temporal-ui';

export type ServerName = 'temporal' | 'cassandra';

/**
 * The server a process spec belongs to, for `--only` (the Web UI goes with Temporal, every node
 * of a local cluster with Cassandra).
 */
export function serverOf(spec: ProcessSpec): ServerName {
  return /^cassandra(-\d+)?$/.test(spec.name) ? 'cassandra' : 'temporal';
}

/** Everything provisioned for one run: paths to binaries and classpaths. */
export interface Provisioned {
  readonly temporalCli?: string;
  /** The Temporal server on Cassandra, its schema tool and (unless headless) the UI server. */
  readonly temporalServer?: TemporalServerBinaries;
  readonly cassandraClasspath?: string;
  readonly testServer?: string;
  readonly java?: string;
  /** The Python of the venv holding the pinned schemathesis (`-m schemathesis.cli`). */
  readonly schemathesis?: string;
  /** Jaeger (v2) and the Jaeger UI's production build it serves. */
  readonly jaeger?: { readonly binary: string; readonly uiAssets: string };
  /** Helm, for the deployment chart's test. */
  readonly helm?: string;
}

export interface ProvisionRequest {
  readonly temporal: boolean;
  readonly cassandra: boolean;
  readonly testServer: boolean;
  /**
   * The Temporal server on Cassandra even when the config runs the dev server (`provision`,
   * `test`); `ui: false` skips the Web UI server (tests are headless).
   */
  readonly temporalServer?: { readonly ui: boolean };
  /** Schemathesis in a virtual environment of its own, for the API fuzz suite. */
  readonly schemathesis?: boolean;
  /** Jaeger and its UI (`--traces`, and `npm run test:traces-viewer`). */
  readonly jaeger?: boolean;
  /** Helm (`npm test`: the chart's test renders deploy/helm/invincible with it). */
  readonly helm?: boolean;
}

/** Provisions (first run) or finds in the cache (every later run) what `request` asks for. */
export async function provision(
  config: StackConfig,
  request: ProvisionRequest,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<Provisioned> {
  const options = { cacheDir: config.cacheDir, env, log };
  const needJava = (request.cassandra && config.database.mode === 'local') || request.testServer;
  const java = needJava ? findJava(config.javaHome, env['PATH']) : undefined;
  const t = config.temporal;
  const onCassandra = t.mode === 'local' && t.persistence.kind === 'cassandra';
  // Sequential on purpose: the Go builds and Maven would fight over the 2 cores.
  const temporalCli =
    request.temporal && t.mode === 'local' && (!onCassandra || request.temporalServer)
      ? await ensureTemporalCli({ ...options, cliPath: t.cliPath })
      : undefined;
  const temporalServer =
    (request.temporal && onCassandra) || request.temporalServer
      ? await ensureTemporalServer({ ...options, ui: request.temporalServer?.ui ?? true })
      : undefined;
  const cassandraClasspath =
    request.cassandra && config.database.mode === 'local'
      ? await ensureClasspath('cassandra', options)
      : undefined;
  const testServer =
    request.testServer && java ? await ensureTestServerExecutable(java, options) : undefined;
  const schemathesis = request.schemathesis ? await ensureSchemathesis(options) : undefined;
  // The UI first: seconds, and a missing Cargo is said before minutes of Go build, not after.
  const jaegerUi = request.jaeger ? await ensureJaegerUi(options) : undefined;
  const jaeger = jaegerUi
    ? {
        binary: await ensureJaeger({ ...options, jaegerPath: config.traces.jaegerPath }),
        uiAssets: jaegerUi,
      }
    : undefined;
  const helm = request.helm
    ? await ensureHelm({ ...options, helmPath: config.helmPath })
    : undefined;
  return {
    temporalCli,
    temporalServer,
    cassandraClasspath,
    testServer,
    java,
    schemathesis,
    jaeger,
    helm,
  };
}

/** Where the apps and tests find the servers, whichever way they were provided. */
export interface Endpoints {
  readonly temporalAddress: string;
  /** TLS, API key and metadata of connections to it (the TEMPORAL_* variables). */
  readonly temporalConnection: StackConfig['temporalConnection'];
  readonly temporalNamespace: string;
  readonly temporalUiUrl: string | undefined;
  /** Undefined when the business data lives in Astra DB (Data API). */
  readonly cassandraContactPoints: string | undefined;
  readonly cassandraLocalDataCenter: string;
  /** The business keyspace's replication when the stack's apps create it (a local cluster's). */
  readonly cassandraReplicationFactor?: number | undefined;
  /** With traces on: the Jaeger UI, and the OTLP/HTTP endpoint the apps export to. */
  readonly traces?: { readonly uiUrl: string; readonly otlpHttpEndpoint: string } | undefined;
}

/**
 * The local server processes `config` asks for (none for servers given by address), in start
 * order: a local Cassandra comes before a Temporal server that keeps its history in it.
 */
export function serverSpecs(
  config: StackConfig,
  provisioned: Provisioned,
  options: {
    readonly ephemeral: boolean;
    readonly dataDir: string;
    readonly env: NodeJS.ProcessEnv;
    readonly log: Logger;
    /** The Web UI's codec endpoint (`npm start`: the codec gateway before the API). */
    readonly codecEndpoint?: string | undefined;
  },
): ProcessSpec[] {
  const specs: ProcessSpec[] = [];
  if (config.database.mode === 'local' && provisioned.cassandraClasspath && provisioned.java) {
    const d = config.database;
    specs.push(
      ...localCassandraCluster({
        java: provisioned.java,
        classpath: provisioned.cassandraClasspath,
        // A cluster in a directory of its own: a single node's data is not a cluster's.
        dataDir: join(options.dataDir, d.nodes === 1 ? 'cassandra' : `cassandra-${d.nodes}-nodes`),
        port: d.port,
        storagePort: d.storagePort,
        heap: d.heap,
        nodes: d.nodes,
        jmxPort: d.jmxPort,
      }),
    );
  }
  const t = config.temporal;
  if (t.mode === 'local' && t.persistence.kind === 'cassandra' && provisioned.temporalServer) {
    const binaries = provisioned.temporalServer;
    specs.push(
      localTemporalOnCassandra({
        server: binaries.server,
        schemaTool: binaries.schemaTool,
        port: t.port,
        namespace: t.namespace,
        ...t.persistence,
        connection: config.temporalConnection,
        dataDir: join(options.dataDir, 'temporal-cassandra'),
        env: options.env,
        log: options.log,
      }),
    );
    if (!options.ephemeral && binaries.uiServer) {
      specs.push(
        localTemporalUi({
          uiServer: binaries.uiServer,
          temporalAddress: `127.0.0.1:${t.port}`,
          port: t.uiPort,
          namespace: t.namespace,
          tls: t.persistence.frontendTls?.client,
          codecEndpoint: options.codecEndpoint,
          dataDir: join(options.dataDir, 'temporal-ui'),
        }),
      );
    }
  } else if (t.mode === 'local' && provisioned.temporalCli) {
    specs.push(
      localTemporal({
        cliPath: provisioned.temporalCli,
        port: t.port,
        uiPort: options.ephemeral ? undefined : t.uiPort,
        dataDir: options.ephemeral ? undefined : join(options.dataDir, 'temporal'),
        namespace: t.namespace,
        codecEndpoint: options.codecEndpoint,
      }),
    );
  }
  return specs;
}

/** Jaeger beside the stack when traces are on (and it was provisioned), else undefined. */
export function jaegerSpec(
  config: StackConfig,
  provisioned: Provisioned,
  dataDir: string,
): ProcessSpec | undefined {
  if (!config.traces.enabled || !provisioned.jaeger) return undefined;
  return localJaeger({
    jaegerPath: provisioned.jaeger.binary,
    uiAssets: provisioned.jaeger.uiAssets,
    ports: config.traces.ports,
    dataDir: join(dataDir, 'jaeger'),
  });
}

export function endpoints(config: StackConfig): Endpoints {
  const t = config.temporal;
  const d = config.database;
  return {
    temporalAddress: t.mode === 'external' ? t.address : `127.0.0.1:${t.port}`,
    temporalConnection: config.temporalConnection,
    temporalNamespace: t.namespace,
    temporalUiUrl: t.mode === 'local' ? `http://127.0.0.1:${t.uiPort}` : undefined,
    cassandraContactPoints:
      d.mode === 'local'
        ? clusterContactPoints(d.nodes, d.port).join(',')
        : d.mode === 'external'
          ? d.contactPoints
          : undefined,
    cassandraLocalDataCenter: d.mode === 'astra' ? 'datacenter1' : d.localDataCenter,
    cassandraReplicationFactor: d.mode === 'local' ? d.replicationFactor : undefined,
    traces: config.traces.enabled
      ? {
          uiUrl: `http://127.0.0.1:${config.traces.ports.ui}`,
          otlpHttpEndpoint: `http://127.0.0.1:${config.traces.ports.otlpHttp}`,
        }
      : undefined,
  };
}
