import type { TemporalCassandraConnection } from '../config';
import { TemporalPersistenceError } from '../errors';
import { loadExeca } from '../execa';
import { formatDuration, type Logger } from '../log';
import { TEMPORAL_CASSANDRA_SCHEMA_VERSION, TEMPORAL_SERVER_VERSION } from '../provision/versions';

export interface TemporalSchemaOptions {
  readonly schemaTool: string;
  readonly keyspace: string;
  readonly createKeyspace: boolean;
  readonly replicationFactor: number;
  readonly cassandra: TemporalCassandraConnection;
  /** The caller's environment: the tool gets PATH and HOME from it, nothing else. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** One invocation of temporal-cassandra-tool. */
export interface SchemaStep {
  readonly name: string;
  readonly args: readonly string[];
}

/** Connecting to something that is not Cassandra must fail fast; DDL on a real cluster may not. */
const PROBE_TIMEOUT_S = 10;
const DDL_TIMEOUT_S = 60;

/**
 * The schema tool's invocations, in order; each is idempotent, so all run on every start:
 * a connection check (short timeout), CREATE KEYSPACE IF NOT EXISTS (unless the keyspace is made
 * elsewhere, as on Astra DB), the versioning tables at 0.0 (skipped by the tool when already
 * newer), then the embedded versioned schema up to exactly the version this server expects — so
 * a keyspace already past it makes the tool refuse instead of silently doing nothing.
 * Credentials are not arguments: they go in the tool's environment (see schemaToolEnv).
 */
export function schemaSteps(
  options: Omit<TemporalSchemaOptions, 'schemaTool' | 'env' | 'log'>,
): SchemaStep[] {
  const c = options.cassandra;
  const connection = (timeoutS: number, keyspace: string) => [
    '--endpoint',
    c.hosts.join(','),
    '--port',
    String(c.port),
    '--keyspace',
    keyspace,
    '--timeout',
    String(timeoutS),
    ...(c.datacenter ? ['--datacenter', c.datacenter] : []),
    ...(c.disableInitialHostLookup ? ['--disable-initial-host-lookup'] : []),
    ...(c.tls
      ? [
          '--tls',
          ...(c.tls.caFile ? ['--tls-ca-file', c.tls.caFile] : []),
          ...(c.tls.serverName ? ['--tls-server-name', c.tls.serverName] : []),
        ]
      : []),
  ];
  const ks = options.keyspace;
  return [
    { name: 'connect', args: [...connection(PROBE_TIMEOUT_S, 'system'), 'validate-health'] },
    ...(options.createKeyspace
      ? [
          {
            name: 'create-keyspace',
            args: [
              ...connection(DDL_TIMEOUT_S, 'system'),
              'create-keyspace',
              '--keyspace',
              ks,
              '--replication-factor',
              String(options.replicationFactor),
              ...(c.datacenter ? ['--datacenter', c.datacenter] : []),
            ],
          },
        ]
      : []),
    {
      name: 'setup-schema',
      args: [...connection(DDL_TIMEOUT_S, ks), 'setup-schema', '--version', '0.0'],
    },
    {
      name: 'update-schema',
      args: [
        ...connection(DDL_TIMEOUT_S, ks),
        'update-schema',
        '--schema-name',
        'cassandra/temporal',
        '--version',
        TEMPORAL_CASSANDRA_SCHEMA_VERSION,
      ],
    },
  ];
}

/**
 * The tool reads CASSANDRA_HOST, CASSANDRA_PORT, CASSANDRA_KEYSPACE… from its environment — names
 * the stack uses for the business database — so it gets a clean one: PATH, HOME, and the
 * credentials (kept off the command line, where `ps` would show them).
 */
export function schemaToolEnv(
  cassandra: TemporalCassandraConnection,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  return {
    PATH: env['PATH'],
    HOME: env['HOME'],
    ...(cassandra.username
      ? { CASSANDRA_USER: cassandra.username, CASSANDRA_PASSWORD: cassandra.password }
      : {}),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The tool's own summary of what went wrong: the `error` field of its last ERROR line. */
function lastError(output: string): string | undefined {
  const lines = output.replace(ANSI, '').split('\n');
  for (const line of lines.reverse()) {
    const match = /"error":\s*"((?:[^"\\]|\\.)*)"/.exec(line);
    if (match?.[1]) return match[1].replace(/\\"/g, '"');
  }
  return undefined;
}

/** Which variables move Temporal's Cassandra, for each way of reaching it. */
function whereVariables(c: TemporalCassandraConnection): string {
  switch (c.via) {
    case 'local':
      return 'CASSANDRA_PORT (the local Cassandra), or TEMPORAL_CASSANDRA_HOSTS / _PORT for another cluster';
    case 'hosts':
      return 'TEMPORAL_CASSANDRA_HOSTS / TEMPORAL_CASSANDRA_PORT';
    case 'proxy':
      return 'TEMPORAL_CASSANDRA_PROXY (the CQL proxy in front of Astra DB)';
  }
}

/**
 * Turns the schema tool's output into one line that names what to fix. Pure: unit-tested on the
 * tool's real messages.
 */
export function classifySchemaFailure(
  step: string,
  output: string,
  options: Pick<TemporalSchemaOptions, 'keyspace' | 'cassandra'>,
): TemporalPersistenceError {
  const c = options.cassandra;
  const where = `${c.hosts.join(',')}:${c.port}`;
  const text = output.replace(ANSI, '');
  const what = c.via === 'proxy' ? `the CQL proxy at ${where}` : `Temporal's Cassandra at ${where}`;
  const fail = (message: string) => new TemporalPersistenceError(message);

  const tooNew = /start version '([\d.]+)' must be less than end version '([\d.]+)'/.exec(text);
  if (tooNew) {
    return fail(
      `keyspace ${options.keyspace} holds Temporal schema ${tooNew[1]}, newer than ${tooNew[2]} ` +
        `of the Temporal server ${TEMPORAL_SERVER_VERSION} here: run a server of that version, ` +
        'or choose another keyspace with TEMPORAL_CASSANDRA_KEYSPACE',
    );
  }
  const missingKeyspace = /Keyspace '(\w+)' does not exist/i.exec(text);
  if (missingKeyspace) {
    return fail(
      `keyspace ${missingKeyspace[1]} does not exist at ${where}: create it (Astra DB: in its ` +
        'console) or let the stack create it with TEMPORAL_CASSANDRA_CREATE_KEYSPACE=true',
    );
  }
  if (/connection refused/i.test(text)) {
    return fail(`${what} refused the connection: start it, or fix ${whereVariables(c)}`);
  }
  const dns =
    /lookup ([^\s:]+)[^\n]*no such host|failed to resolve any of the provided hostnames/i.exec(
      text,
    );
  if (dns) {
    return fail(
      `cannot resolve ${dns[1] ?? c.hosts.join(',')}: fix the host name in ${whereVariables(c)}`,
    );
  }
  if (
    /no response (received from cassandra|to connection startup) within timeout|i\/o timeout|timed out|no route to host/i.test(
      text,
    )
  ) {
    return fail(
      `${what} did not answer CQL within ${PROBE_TIMEOUT_S} s (unreachable, or not a Cassandra ` +
        `native-protocol port): fix ${whereVariables(c)}`,
    );
  }
  if (/x509|tls:|certificate/i.test(text)) {
    return fail(
      `TLS to ${where} failed (${lastError(text) ?? 'handshake'}): fix TEMPORAL_CASSANDRA_TLS_CA_FILE / ` +
        'TEMPORAL_CASSANDRA_TLS_SERVER_NAME, or TEMPORAL_CASSANDRA_TLS',
    );
  }
  if (
    /username and\/or password are incorrect|authentication|Unauthorized|requires authentication/i.test(
      text,
    )
  ) {
    return fail(
      `${what} rejected the credentials: fix TEMPORAL_CASSANDRA_USERNAME / TEMPORAL_CASSANDRA_PASSWORD`,
    );
  }
  return fail(
    `Temporal's Cassandra schema step ${step} failed at ${where} (keyspace ${options.keyspace}): ` +
      (lastError(text) ?? text.trim().split('\n').at(-1) ?? 'no output'),
  );
}

/**
 * Creates or upgrades Temporal's schema in its keyspace, idempotently: safe on every start, and
 * on a keyspace another server version set up (newer: refused, naming both versions).
 */
export async function ensureTemporalSchema(options: TemporalSchemaOptions): Promise<void> {
  const { execa } = await loadExeca();
  const started = Date.now();
  for (const step of schemaSteps(options)) {
    const result = await execa(options.schemaTool, step.args, {
      env: schemaToolEnv(options.cassandra, options.env),
      extendEnv: false,
      all: true,
      reject: false,
      stdin: 'ignore',
    });
    if (result.exitCode !== 0) throw classifySchemaFailure(step.name, result.all ?? '', options);
  }
  options.log.info(
    `Temporal schema ${TEMPORAL_CASSANDRA_SCHEMA_VERSION} in keyspace ${options.keyspace}: ` +
      `ready in ${formatDuration(Date.now() - started)}`,
  );
}
