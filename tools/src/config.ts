import {
  temporalConnectionFromEnv,
  type TemporalConnectionConfig,
} from '@invincible/temporal-runtime';
import { z } from 'zod';
import { defaultCacheDir, defaultDataDir } from './paths';
import { nodeAddress } from './servers/cluster-addresses';

const port = z.coerce.number().int().min(1).max(65_535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v.length === 0 ? undefined : v))
  .optional();

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0']))
  .transform((v) => v === 'true' || v === '1');

const schema = z.object({
  INVINCIBLE_CACHE_DIR: optionalString,
  INVINCIBLE_DATA_DIR: optionalString,
  // Temporal: an existing server (nothing local is started), or the local dev server's ports.
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  // Temporal's own persistence: the CLI dev server (SQLite) or a Temporal server on Cassandra.
  TEMPORAL_PERSISTENCE: z.enum(['dev', 'cassandra']).default('dev'),
  TEMPORAL_HISTORY_SHARDS: z.coerce.number().int().min(1).max(16_384).default(4),
  TEMPORAL_CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-zA-Z]\w{0,47}$/, 'a Cassandra keyspace name (letters, digits, _)')
    .default('temporal'),
  TEMPORAL_CASSANDRA_HOSTS: optionalString,
  TEMPORAL_CASSANDRA_PORT: port.optional(),
  TEMPORAL_CASSANDRA_USERNAME: optionalString,
  TEMPORAL_CASSANDRA_PASSWORD: optionalString,
  TEMPORAL_CASSANDRA_TLS: flag.optional(),
  TEMPORAL_CASSANDRA_TLS_CA_FILE: optionalString,
  TEMPORAL_CASSANDRA_TLS_SERVER_NAME: optionalString,
  TEMPORAL_CASSANDRA_DATACENTER: optionalString,
  TEMPORAL_CASSANDRA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(9).optional(),
  TEMPORAL_CASSANDRA_CREATE_KEYSPACE: flag.optional(),
  TEMPORAL_CASSANDRA_PROXY: optionalString,
  // The local Temporal server's frontend over TLS (mTLS with a client CA); its own clients — the
  // system worker, the Web UI, the apps and the stack's probes — use the TEMPORAL_TLS_* variables.
  TEMPORAL_SERVER_TLS_CERT_PATH: optionalString,
  TEMPORAL_SERVER_TLS_KEY_PATH: optionalString,
  TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  // Cassandra: an existing cluster, Astra DB, or the local JVM process.
  CASSANDRA_CONTACT_POINTS: optionalString,
  CASSANDRA_LOCAL_DATA_CENTER: z.string().min(1).default('datacenter1'),
  CASSANDRA_PORT: port.default(9042),
  CASSANDRA_STORAGE_PORT: port.default(7000),
  CASSANDRA_HEAP: z
    .string()
    .regex(/^\d+[mMgG]$/, 'a JVM heap size such as 1G or 768M')
    .default('1G'),
  // A local cluster (`--cassandra-nodes 3`): node N on 127.0.0.N, nodetool on JMX port + N − 1.
  CASSANDRA_NODES: z.coerce.number().int().min(1).max(9).default(1),
  CASSANDRA_JMX_PORT: port.max(65_527).default(7199),
  ASTRA_DB_API_ENDPOINT: optionalString,
  JAVA_HOME: optionalString,
  // The apps.
  API_PORT: port.default(3000),
  // Traces (`npm start -- --traces`): Jaeger beside the stack, the apps exporting to it.
  INVINCIBLE_TRACES: flag.optional(),
  JAEGER_PATH: optionalString,
  /** A Helm binary for the chart's test, instead of building one. */
  HELM_PATH: optionalString,
  // Jaeger's own defaults; the query service's gRPC port is the UI's minus one.
  JAEGER_UI_PORT: port.min(2).default(16686),
  JAEGER_OTLP_GRPC_PORT: port.default(4317),
  JAEGER_OTLP_HTTP_PORT: port.default(4318),
});

export type StackEnv = z.infer<typeof schema>;

/** Settings of the local stack, read once from the environment by the CLI. */
export interface StackConfig {
  readonly cacheDir: string;
  readonly dataDir: string;
  /** HELM_PATH: a Helm binary to use instead of building one (the chart's test). */
  readonly helmPath: string | undefined;
  readonly temporal:
    | { readonly mode: 'external'; readonly address: string; readonly namespace: string }
    | {
        readonly mode: 'local';
        readonly cliPath: string | undefined;
        readonly port: number;
        readonly uiPort: number;
        readonly namespace: string;
        readonly persistence: TemporalPersistence;
      };
  readonly database:
    | { readonly mode: 'astra'; readonly endpoint: string }
    | {
        readonly mode: 'external';
        readonly contactPoints: string;
        readonly localDataCenter: string;
      }
    | {
        readonly mode: 'local';
        readonly port: number;
        readonly storagePort: number;
        /** Per node. */
        readonly heap: string;
        readonly localDataCenter: string;
        /** 1: the single node on 127.0.0.1; more: a local cluster, node N on 127.0.0.N. */
        readonly nodes: number;
        /** Node N's nodetool (local JMX) port is `jmxPort + N − 1`; a single node has none. */
        readonly jmxPort: number;
        /** Of the business keyspace and Temporal's when the stack creates them: min(nodes, 3). */
        readonly replicationFactor: number;
      };
  readonly javaHome: string | undefined;
  readonly apiPort: number;
  /**
   * The local trace viewer: off unless asked for (`--traces`, INVINCIBLE_TRACES); the binary and
   * ports are read either way, since `npm test` provisions Jaeger for its own suite.
   */
  readonly traces: TracesConfig;
  /**
   * TLS, API key and gRPC metadata of the stack's own connections to Temporal (its readiness
   * probes), read from the TEMPORAL_* variables exactly as the apps read them.
   */
  readonly temporalConnection: Omit<TemporalConnectionConfig['connectionOptions'], 'address'>;
}

/** Jaeger beside the stack: where its binary is (JAEGER_PATH) and the ports it listens on. */
export interface TracesConfig {
  readonly enabled: boolean;
  /** JAEGER_PATH: a Jaeger v2 binary to use instead of building one. */
  readonly jaegerPath: string | undefined;
  readonly ports: {
    /** The UI and the query HTTP API. */
    readonly ui: number;
    readonly otlpGrpc: number;
    readonly otlpHttp: number;
  };
}

/** The local Temporal server's frontend TLS (TEMPORAL_SERVER_TLS_*), and what its own clients present. */
export interface FrontendTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** Clients must present a certificate this CA signed (mTLS); unset: TLS only. */
  readonly clientCaFile: string | undefined;
  /** The system worker's and the Web UI's side: the TEMPORAL_TLS_* files and server name. */
  readonly client: {
    readonly certFile: string | undefined;
    readonly keyFile: string | undefined;
    readonly serverCaFile: string | undefined;
    readonly serverName: string;
  };
}

/** Where a local Temporal keeps its state: the CLI dev server's SQLite, or Cassandra. */
export type TemporalPersistence =
  | { readonly kind: 'dev' }
  | {
      readonly kind: 'cassandra';
      readonly historyShards: number;
      readonly keyspace: string;
      /** CREATE KEYSPACE IF NOT EXISTS before the schema (not on Astra DB: made in its console). */
      readonly createKeyspace: boolean;
      readonly replicationFactor: number;
      readonly cassandra: TemporalCassandraConnection;
      readonly frontendTls: FrontendTls | undefined;
    };

/** How Temporal's gocql driver and its schema tool reach Cassandra. */
export interface TemporalCassandraConnection {
  /**
   * `local`: the Cassandra the stack runs (CASSANDRA_PORT); `hosts`: a cluster given by
   * TEMPORAL_CASSANDRA_HOSTS; `proxy`: Astra DB through a CQL proxy (TEMPORAL_CASSANDRA_PROXY).
   */
  readonly via: 'local' | 'hosts' | 'proxy';
  readonly hosts: readonly string[];
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls:
    { readonly caFile: string | undefined; readonly serverName: string | undefined } | undefined;
  readonly datacenter: string | undefined;
  /** Talk to the given hosts only (a proxy is one node standing for the whole cluster). */
  readonly disableInitialHostLookup: boolean;
}

/** Thrown with every invalid variable at once, so one run shows everything to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/** Parses the stack's environment variables; never reads `process.env` itself. */
export function loadStackConfig(env: NodeJS.ProcessEnv): StackConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const connection = temporalConnectionFromEnv(env);
  const issues = [
    ...(e.CASSANDRA_NODES > 1 && (e.CASSANDRA_CONTACT_POINTS || e.ASTRA_DB_API_ENDPOINT)
      ? [
          `CASSANDRA_NODES=${e.CASSANDRA_NODES} starts a local cluster; the database is given by ` +
            `${e.ASTRA_DB_API_ENDPOINT ? 'ASTRA_DB_API_ENDPOINT' : 'CASSANDRA_CONTACT_POINTS'}: unset one of them`,
        ]
      : []),
    ...temporalIssues(e),
    ...tracesIssues(e),
    ...(connection.ok ? [] : connection.issues),
  ];
  if (issues.length > 0 || !connection.ok) throw new ConfigError(issues);
  const { address, ...temporalConnection } = connection.config.connectionOptions;
  void address;
  return {
    temporalConnection,
    cacheDir: e.INVINCIBLE_CACHE_DIR ?? defaultCacheDir(env),
    dataDir: e.INVINCIBLE_DATA_DIR ?? defaultDataDir(),
    helmPath: e.HELM_PATH,
    temporal: e.TEMPORAL_ADDRESS
      ? { mode: 'external', address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE }
      : {
          mode: 'local',
          cliPath: e.TEMPORAL_CLI_PATH,
          port: e.TEMPORAL_PORT,
          uiPort: e.TEMPORAL_UI_PORT,
          namespace: e.TEMPORAL_NAMESPACE,
          persistence: temporalPersistence(e),
        },
    database: e.ASTRA_DB_API_ENDPOINT
      ? { mode: 'astra', endpoint: e.ASTRA_DB_API_ENDPOINT }
      : e.CASSANDRA_CONTACT_POINTS
        ? {
            mode: 'external',
            contactPoints: e.CASSANDRA_CONTACT_POINTS,
            localDataCenter: e.CASSANDRA_LOCAL_DATA_CENTER,
          }
        : {
            mode: 'local',
            port: e.CASSANDRA_PORT,
            storagePort: e.CASSANDRA_STORAGE_PORT,
            heap: e.CASSANDRA_HEAP,
            localDataCenter: e.CASSANDRA_LOCAL_DATA_CENTER,
            nodes: e.CASSANDRA_NODES,
            jmxPort: e.CASSANDRA_JMX_PORT,
            replicationFactor: Math.min(e.CASSANDRA_NODES, 3),
          },
    javaHome: e.JAVA_HOME,
    apiPort: e.API_PORT,
    traces: {
      enabled: e.INVINCIBLE_TRACES ?? false,
      jaegerPath: e.JAEGER_PATH,
      ports: {
        ui: e.JAEGER_UI_PORT,
        otlpGrpc: e.JAEGER_OTLP_GRPC_PORT,
        otlpHttp: e.JAEGER_OTLP_HTTP_PORT,
      },
    },
  };
}

/** Jaeger's four listeners must differ: the query service's gRPC port is the UI's minus one. */
function tracesIssues(e: StackEnv): string[] {
  const ports = [
    ['JAEGER_UI_PORT', e.JAEGER_UI_PORT],
    ['JAEGER_UI_PORT − 1 (query gRPC)', e.JAEGER_UI_PORT - 1],
    ['JAEGER_OTLP_GRPC_PORT', e.JAEGER_OTLP_GRPC_PORT],
    ['JAEGER_OTLP_HTTP_PORT', e.JAEGER_OTLP_HTTP_PORT],
  ] as const;
  const issues: string[] = [];
  ports.forEach(([name, port], i) => {
    const clash = ports.slice(i + 1).find(([, other]) => other === port);
    if (clash) issues.push(`${name} and ${clash[0]}: both are ${port}; Jaeger needs four ports`);
  });
  return issues;
}

const TEMPORAL_CASSANDRA_KEYS = [
  'TEMPORAL_CASSANDRA_HOSTS',
  'TEMPORAL_CASSANDRA_PORT',
  'TEMPORAL_CASSANDRA_USERNAME',
  'TEMPORAL_CASSANDRA_PASSWORD',
  'TEMPORAL_CASSANDRA_TLS',
  'TEMPORAL_CASSANDRA_TLS_CA_FILE',
  'TEMPORAL_CASSANDRA_TLS_SERVER_NAME',
  'TEMPORAL_CASSANDRA_DATACENTER',
  'TEMPORAL_CASSANDRA_REPLICATION_FACTOR',
  'TEMPORAL_CASSANDRA_CREATE_KEYSPACE',
  'TEMPORAL_CASSANDRA_PROXY',
  'TEMPORAL_SERVER_TLS_CERT_PATH',
  'TEMPORAL_SERVER_TLS_KEY_PATH',
  'TEMPORAL_SERVER_TLS_CLIENT_CA_PATH',
] as const;

/** Combinations zod cannot see one variable at a time; each names what to change. */
function temporalIssues(e: StackEnv): string[] {
  const issues: string[] = [];
  const cassandra = e.TEMPORAL_PERSISTENCE === 'cassandra';
  if (!cassandra) {
    const stray = TEMPORAL_CASSANDRA_KEYS.filter((k) => e[k] !== undefined);
    if (stray.length > 0) {
      issues.push(
        `${stray.join(', ')}: only used with TEMPORAL_PERSISTENCE=cassandra (it is ${e.TEMPORAL_PERSISTENCE})`,
      );
    }
    return issues;
  }
  if (e.TEMPORAL_ADDRESS) {
    issues.push(
      'TEMPORAL_PERSISTENCE=cassandra starts a local Temporal server, TEMPORAL_ADDRESS uses an ' +
        'existing one: unset one of them',
    );
  }
  if (e.TEMPORAL_CASSANDRA_HOSTS && e.TEMPORAL_CASSANDRA_PROXY) {
    issues.push('TEMPORAL_CASSANDRA_HOSTS and TEMPORAL_CASSANDRA_PROXY: set one, not both');
  }
  if (e.TEMPORAL_CASSANDRA_HOSTS?.split(',').some((h) => h.includes(':') || h.trim() === '')) {
    issues.push(
      'TEMPORAL_CASSANDRA_HOSTS: comma-separated host names or IPv4 addresses, without ports ' +
        '(the port goes in TEMPORAL_CASSANDRA_PORT)',
    );
  }
  if (e.TEMPORAL_CASSANDRA_PROXY && !/^[^:\s]+:\d+$/.test(e.TEMPORAL_CASSANDRA_PROXY)) {
    issues.push('TEMPORAL_CASSANDRA_PROXY: host:port of the CQL proxy, e.g. 127.0.0.1:9044');
  }
  if (!e.TEMPORAL_CASSANDRA_HOSTS && !e.TEMPORAL_CASSANDRA_PROXY) {
    if (e.ASTRA_DB_API_ENDPOINT || e.CASSANDRA_CONTACT_POINTS) {
      issues.push(
        'TEMPORAL_PERSISTENCE=cassandra with a database given by address: say where Temporal keeps ' +
          'its keyspace with TEMPORAL_CASSANDRA_HOSTS (a Cassandra/DSE/HCD cluster) or ' +
          'TEMPORAL_CASSANDRA_PROXY (Astra DB through its CQL proxy)',
      );
    }
    const remoteOnly = TEMPORAL_CASSANDRA_KEYS.filter(
      (k) =>
        e[k] !== undefined &&
        k.startsWith('TEMPORAL_CASSANDRA_') &&
        k !== 'TEMPORAL_CASSANDRA_CREATE_KEYSPACE' &&
        k !== 'TEMPORAL_CASSANDRA_REPLICATION_FACTOR',
    );
    if (remoteOnly.length > 0) {
      issues.push(
        `${remoteOnly.join(', ')}: describe a remote cluster; set TEMPORAL_CASSANDRA_HOSTS too ` +
          '(without it Temporal uses the local Cassandra on CASSANDRA_PORT)',
      );
    }
  }
  if (e.TEMPORAL_CASSANDRA_PROXY) {
    const direct = (
      [
        'TEMPORAL_CASSANDRA_PORT',
        'TEMPORAL_CASSANDRA_TLS',
        'TEMPORAL_CASSANDRA_TLS_CA_FILE',
        'TEMPORAL_CASSANDRA_TLS_SERVER_NAME',
      ] as const
    ).filter((k) => e[k] !== undefined);
    if (direct.length > 0) {
      issues.push(
        `${direct.join(', ')}: not used with TEMPORAL_CASSANDRA_PROXY (the proxy holds the ` +
          'secure connect bundle and speaks plain CQL on its own address)',
      );
    }
  }
  if (Boolean(e.TEMPORAL_CASSANDRA_USERNAME) !== Boolean(e.TEMPORAL_CASSANDRA_PASSWORD)) {
    issues.push('TEMPORAL_CASSANDRA_USERNAME and TEMPORAL_CASSANDRA_PASSWORD: set both or neither');
  }
  if (
    (e.TEMPORAL_CASSANDRA_TLS_CA_FILE || e.TEMPORAL_CASSANDRA_TLS_SERVER_NAME) &&
    e.TEMPORAL_CASSANDRA_TLS !== true
  ) {
    issues.push(
      'TEMPORAL_CASSANDRA_TLS_CA_FILE / _TLS_SERVER_NAME: set TEMPORAL_CASSANDRA_TLS=true as well',
    );
  }
  if (Boolean(e.TEMPORAL_SERVER_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_SERVER_TLS_KEY_PATH)) {
    issues.push(
      'TEMPORAL_SERVER_TLS_CERT_PATH and TEMPORAL_SERVER_TLS_KEY_PATH: set both or neither',
    );
  }
  if (e.TEMPORAL_SERVER_TLS_CLIENT_CA_PATH && !e.TEMPORAL_SERVER_TLS_CERT_PATH) {
    issues.push(
      'TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: mTLS needs TEMPORAL_SERVER_TLS_CERT_PATH and _KEY_PATH too',
    );
  }
  if (
    e.TEMPORAL_SERVER_TLS_CLIENT_CA_PATH &&
    (!e.TEMPORAL_TLS_CLIENT_CERT_PATH || !e.TEMPORAL_TLS_CLIENT_KEY_PATH)
  ) {
    issues.push(
      'TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: the server then requires client certificates; set ' +
        "TEMPORAL_TLS_CLIENT_CERT_PATH and _KEY_PATH (the apps', the Web UI's and Temporal's own system worker's)",
    );
  }
  if (e.TEMPORAL_SERVER_TLS_CERT_PATH && !e.TEMPORAL_TLS_SERVER_CA_CERT_PATH) {
    issues.push(
      'TEMPORAL_SERVER_TLS_CERT_PATH: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it, ' +
        "so that the apps and the server's own clients trust it",
    );
  }
  // The other services listen around the frontend: membership 300 below, HTTP 10 above.
  if (e.TEMPORAL_PORT <= 1_324 || e.TEMPORAL_PORT > 65_525) {
    issues.push(
      `TEMPORAL_PORT: with TEMPORAL_PERSISTENCE=cassandra it must be between 1325 and 65525 ` +
        `(the server's other ports are derived from it); not ${e.TEMPORAL_PORT}`,
    );
  }
  return issues;
}

function temporalPersistence(e: StackEnv): TemporalPersistence {
  if (e.TEMPORAL_PERSISTENCE === 'dev') return { kind: 'dev' };
  const proxy = e.TEMPORAL_CASSANDRA_PROXY?.split(':');
  const remote = Boolean(e.TEMPORAL_CASSANDRA_HOSTS);
  const cassandra: TemporalCassandraConnection = proxy
    ? {
        via: 'proxy',
        hosts: [proxy[0] ?? ''],
        port: Number(proxy[1]),
        username: e.TEMPORAL_CASSANDRA_USERNAME,
        password: e.TEMPORAL_CASSANDRA_PASSWORD,
        tls: undefined,
        datacenter: e.TEMPORAL_CASSANDRA_DATACENTER,
        disableInitialHostLookup: true,
      }
    : {
        via: remote ? 'hosts' : 'local',
        hosts: remote
          ? (e.TEMPORAL_CASSANDRA_HOSTS ?? '').split(',').map((h) => h.trim())
          : Array.from({ length: e.CASSANDRA_NODES }, (_, i) => nodeAddress(i + 1)),
        port: remote ? (e.TEMPORAL_CASSANDRA_PORT ?? 9042) : e.CASSANDRA_PORT,
        username: e.TEMPORAL_CASSANDRA_USERNAME,
        password: e.TEMPORAL_CASSANDRA_PASSWORD,
        tls: e.TEMPORAL_CASSANDRA_TLS
          ? {
              caFile: e.TEMPORAL_CASSANDRA_TLS_CA_FILE,
              serverName: e.TEMPORAL_CASSANDRA_TLS_SERVER_NAME,
            }
          : undefined,
        datacenter: e.TEMPORAL_CASSANDRA_DATACENTER,
        disableInitialHostLookup: false,
      };
  return {
    kind: 'cassandra',
    historyShards: e.TEMPORAL_HISTORY_SHARDS,
    keyspace: e.TEMPORAL_CASSANDRA_KEYSPACE,
    // Astra DB keyspaces are made in its console; CQL cannot create them.
    createKeyspace: e.TEMPORAL_CASSANDRA_CREATE_KEYSPACE ?? !proxy,
    replicationFactor:
      e.TEMPORAL_CASSANDRA_REPLICATION_FACTOR ?? (remote ? 3 : Math.min(e.CASSANDRA_NODES, 3)),
    cassandra,
    frontendTls:
      e.TEMPORAL_SERVER_TLS_CERT_PATH && e.TEMPORAL_SERVER_TLS_KEY_PATH
        ? {
            certFile: e.TEMPORAL_SERVER_TLS_CERT_PATH,
            keyFile: e.TEMPORAL_SERVER_TLS_KEY_PATH,
            clientCaFile: e.TEMPORAL_SERVER_TLS_CLIENT_CA_PATH,
            client: {
              certFile: e.TEMPORAL_TLS_CLIENT_CERT_PATH,
              keyFile: e.TEMPORAL_TLS_CLIENT_KEY_PATH,
              serverCaFile: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
              serverName: e.TEMPORAL_TLS_SERVER_NAME ?? 'localhost',
            },
          }
        : undefined,
  };
}

/** The ports of an isolated stack (`isolatedStackConfig`): free ones, chosen by the caller. */
export interface IsolatedPorts {
  readonly cql: number;
  readonly storage: number;
  /** Node N's nodetool port is `jmx + N − 1`. */
  readonly jmx: number;
  readonly temporal: number;
  readonly ui: number;
}

/**
 * A stack of its own, for a soak or a bench: every server local, on `ports`, with its state in
 * `dataDir`. The environment still gives tool paths and heap, never an address of an existing
 * server nor a remote Temporal keyspace (TEMPORAL_CASSANDRA_*): the run must not touch those.
 */
export function isolatedStackConfig(
  env: NodeJS.ProcessEnv,
  options: {
    readonly dataDir: string;
    readonly ports: IsolatedPorts;
    /** TEMPORAL_PERSISTENCE (validated as that variable is); undefined: the dev server. */
    readonly temporalPersistence: string | undefined;
    /** A local cluster: its size and Temporal's shards; omitted: the single node. */
    readonly cluster?: { readonly cassandraNodes: number; readonly historyShards: number };
  },
): StackConfig {
  const { dataDir, ports, cluster } = options;
  return loadStackConfig({
    ...Object.fromEntries(
      Object.entries(env).filter(([k]) => !k.startsWith('TEMPORAL_CASSANDRA_')),
    ),
    TEMPORAL_PERSISTENCE: options.temporalPersistence ?? 'dev',
    ...(cluster ? { TEMPORAL_HISTORY_SHARDS: String(cluster.historyShards) } : {}),
    CASSANDRA_NODES: String(cluster?.cassandraNodes ?? 1),
    CASSANDRA_JMX_PORT: String(ports.jmx),
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    CASSANDRA_PORT: String(ports.cql),
    CASSANDRA_STORAGE_PORT: String(ports.storage),
    // Three JVMs share the machine with everything else: smaller heaps per node.
    CASSANDRA_HEAP: env['CASSANDRA_HEAP'] ?? (cluster ? '768M' : '1G'),
    INVINCIBLE_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '',
    CASSANDRA_CONTACT_POINTS: '',
    ASTRA_DB_API_ENDPOINT: '',
  });
}

/**
 * The test servers' ports (`npm test`, and the `tools:cassandra`, `tools:temporal`,
 * `tools:temporal-cassandra` and `tools:data-api` tasks): their own, so tests run beside a running
 * `npm start`. Each moves with a variable (TEMPORAL_TEST_PORT, TEMPORAL_CASSANDRA_TEST_PORT,
 * CASSANDRA_TEST_PORT, CASSANDRA_TEST_STORAGE_PORT, DATA_API_TEST_PORT), so two test runs fit on
 * one machine.
 */
export const TEST_PORTS = {
  temporal: 17233,
  temporalOnCassandra: 17333,
  cassandra: 19042,
  cassandraStorage: 17000,
  dataApi: 18181,
} as const;

export type TestPorts = { readonly [K in keyof typeof TEST_PORTS]: number };

/** TEST_PORTS, each moved by its variable when set. */
export function testPorts(env: NodeJS.ProcessEnv): TestPorts {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = port.safeParse(raw);
    if (!parsed.success) throw new ConfigError([`${name}: a port number, not ${raw}`]);
    return parsed.data;
  };
  return {
    temporal: read('TEMPORAL_TEST_PORT', TEST_PORTS.temporal),
    temporalOnCassandra: read('TEMPORAL_CASSANDRA_TEST_PORT', TEST_PORTS.temporalOnCassandra),
    cassandra: read('CASSANDRA_TEST_PORT', TEST_PORTS.cassandra),
    cassandraStorage: read('CASSANDRA_TEST_STORAGE_PORT', TEST_PORTS.cassandraStorage),
    dataApi: read('DATA_API_TEST_PORT', TEST_PORTS.dataApi),
  };
}

/**
 * The stack the tests run on: one local Cassandra node and the dev server on the test ports.
 * Tests own their servers: what the environment says about Temporal's persistence or an address
 * is for `npm start`, not for tests (TEST_TEMPORAL_ADDRESS and TEST_CASSANDRA_CONTACT_POINTS
 * point the tests at existing servers instead).
 */
export function testStackConfig(env: NodeJS.ProcessEnv): StackConfig {
  const ports = testPorts(env);
  return loadStackConfig({
    ...Object.fromEntries(
      Object.entries(env).filter(([k]) => !k.startsWith('TEMPORAL_CASSANDRA_')),
    ),
    TEMPORAL_PERSISTENCE: 'dev',
    TEMPORAL_PORT: String(ports.temporal),
    CASSANDRA_PORT: String(ports.cassandra),
    CASSANDRA_STORAGE_PORT: String(ports.cassandraStorage),
    // One node: the multi-node suite (`npm run test:cluster`) starts its own cluster.
    CASSANDRA_NODES: '1',
    TEMPORAL_ADDRESS: env['TEST_TEMPORAL_ADDRESS'] ?? '',
    CASSANDRA_CONTACT_POINTS: env['TEST_CASSANDRA_CONTACT_POINTS'] ?? '',
    ASTRA_DB_API_ENDPOINT: '',
  });
}
