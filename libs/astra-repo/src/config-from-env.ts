import { z } from 'zod';
import type { RepositoryConfig } from './config';

const identifier = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'letters, digits and underscores, starting with a letter');

const schema = z.object({
  ASTRA_DB_API_ENDPOINT: z.url().optional(),
  ASTRA_DB_APPLICATION_TOKEN: z.string().min(1).optional(),
  ASTRA_DB_KEYSPACE: identifier.default('default_keyspace'),
  ASTRA_DB_ENVIRONMENT: z.enum(['astra', 'hcd', 'dse', 'cassandra', 'other']).default('astra'),
  ASTRA_DB_USERNAME: z.string().min(1).optional(),
  ASTRA_DB_PASSWORD: z.string().min(1).optional(),
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DATA_CENTER: z.string().min(1).default('datacenter1'),
  CASSANDRA_KEYSPACE: identifier.default('invincible'),
  CASSANDRA_USERNAME: z.string().min(1).optional(),
  CASSANDRA_PASSWORD: z.string().min(1).optional(),
  CASSANDRA_SECURE_CONNECT_BUNDLE: z.string().min(1).optional(),
  CASSANDRA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(9).optional(),
  // At least a week: an email must be delivered long before its row may expire.
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).optional(),
});

/**
 * Rules between variables, checked on the raw input so they are reported together with the
 * per-variable problems (zod skips object refinements once a field has failed).
 */
function crossFieldIssues(env: Readonly<Record<string, string | undefined>>): string[] {
  const set = (name: string) => (env[name] ?? '').trim().length > 0;
  const issues: string[] = [];
  if (set('ASTRA_DB_API_ENDPOINT')) {
    const environment = env['ASTRA_DB_ENVIRONMENT'] ?? 'astra';
    if (environment === 'astra' && !set('ASTRA_DB_APPLICATION_TOKEN')) {
      issues.push('ASTRA_DB_APPLICATION_TOKEN: required with ASTRA_DB_API_ENDPOINT');
    }
    if (
      environment !== 'astra' &&
      !set('ASTRA_DB_APPLICATION_TOKEN') &&
      !(set('ASTRA_DB_USERNAME') && set('ASTRA_DB_PASSWORD'))
    ) {
      issues.push(
        `ASTRA_DB_USERNAME: a self-managed Data API (${environment}) needs ASTRA_DB_USERNAME and ASTRA_DB_PASSWORD, or a token`,
      );
    }
  }
  if (set('CASSANDRA_USERNAME') !== set('CASSANDRA_PASSWORD')) {
    issues.push('CASSANDRA_PASSWORD: username and password go together');
  }
  return issues;
}

/**
 * The business keyspace's replication when CASSANDRA_REPLICATION_FACTOR is not set: 1 on this
 * machine (the local stack's single node), 3 against any other host — a cluster, where one
 * replica would lose data with one node. Only the keyspace's creation reads it.
 */
export function defaultReplication(contactPoints: string): number {
  const local = contactPoints
    .split(',')
    .map((p) =>
      p
        .trim()
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, ''),
    )
    .every((host) => host === 'localhost' || host === '::1' || host.startsWith('127.'));
  return local ? 1 : 3;
}

/** The zod schema of the repository's environment variables, for apps that compose configs. */
export const repositoryEnvSchema = schema;

/**
 * Builds a repository config from environment-shaped input: Astra DB (Data API) when
 * `ASTRA_DB_API_ENDPOINT` is set, Cassandra over CQL otherwise. Called by the apps' composition
 * roots with `process.env`; the library itself never reads the environment.
 *
 * @returns the config, or the list of problems (`VARIABLE: reason`) to report all at once.
 */
export function repositoryConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: RepositoryConfig } | { ok: false; issues: string[] } {
  // An empty variable (`ASTRA_DB_API_ENDPOINT=`) means unset, as it does to a shell user.
  const set = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = schema.safeParse(set);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...crossFieldIssues(set),
  ];
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  const e = parsed.data;
  if (e.ASTRA_DB_API_ENDPOINT) {
    return {
      ok: true,
      config: {
        backend: 'astra',
        endpoint: e.ASTRA_DB_API_ENDPOINT,
        keyspace: e.ASTRA_DB_KEYSPACE,
        environment: e.ASTRA_DB_ENVIRONMENT,
        auth: e.ASTRA_DB_APPLICATION_TOKEN
          ? { token: e.ASTRA_DB_APPLICATION_TOKEN }
          : { username: e.ASTRA_DB_USERNAME ?? '', password: e.ASTRA_DB_PASSWORD ?? '' },
      },
    };
  }
  return {
    ok: true,
    config: {
      backend: 'cassandra',
      contactPoints: e.CASSANDRA_CONTACT_POINTS.split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      localDataCenter: e.CASSANDRA_LOCAL_DATA_CENTER,
      keyspace: e.CASSANDRA_KEYSPACE,
      replicationFactor:
        e.CASSANDRA_REPLICATION_FACTOR ?? defaultReplication(e.CASSANDRA_CONTACT_POINTS),
      ...(e.OUTBOX_RETENTION_DAYS ? { outboxRetentionDays: e.OUTBOX_RETENTION_DAYS } : {}),
      ...(e.CASSANDRA_USERNAME && e.CASSANDRA_PASSWORD
        ? { credentials: { username: e.CASSANDRA_USERNAME, password: e.CASSANDRA_PASSWORD } }
        : {}),
      ...(e.CASSANDRA_SECURE_CONNECT_BUNDLE
        ? { secureConnectBundle: e.CASSANDRA_SECURE_CONNECT_BUNDLE }
        : {}),
    },
  };
}
