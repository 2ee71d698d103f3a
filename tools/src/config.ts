import { z } from 'zod';
import { defaultCacheDir, defaultDataDir } from './paths';

const port = z.coerce.number().int().min(1).max(65_535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v.length === 0 ? undefined : v))
  .optional();

const schema = z.object({
  INVINCIBLE_CACHE_DIR: optionalString,
  INVINCIBLE_DATA_DIR: optionalString,
  // Temporal: an existing server (nothing local is started), or the local dev server's ports.
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  // Cassandra: an existing cluster, Astra DB, or the local JVM process.
  CASSANDRA_CONTACT_POINTS: optionalString,
  CASSANDRA_LOCAL_DATA_CENTER: z.string().min(1).default('datacenter1'),
  CASSANDRA_PORT: port.default(9042),
  CASSANDRA_STORAGE_PORT: port.default(7000),
  CASSANDRA_HEAP: z
    .string()
    .regex(/^\d+[mMgG]$/, 'a JVM heap size such as 1G or 768M')
    .default('1G'),
  ASTRA_DB_API_ENDPOINT: optionalString,
  JAVA_HOME: optionalString,
  // The apps.
  API_PORT: port.default(3000),
});

export type StackEnv = z.infer<typeof schema>;

/** Settings of the local stack, read once from the environment by the CLI. */
export interface StackConfig {
  readonly cacheDir: string;
  readonly dataDir: string;
  readonly temporal:
    | { readonly mode: 'external'; readonly address: string; readonly namespace: string }
    | {
        readonly mode: 'local';
        readonly cliPath: string | undefined;
        readonly port: number;
        readonly uiPort: number;
        readonly namespace: string;
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
        readonly heap: string;
        readonly localDataCenter: string;
      };
  readonly javaHome: string | undefined;
  readonly apiPort: number;
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
  return {
    cacheDir: e.INVINCIBLE_CACHE_DIR ?? defaultCacheDir(env),
    dataDir: e.INVINCIBLE_DATA_DIR ?? defaultDataDir(),
    temporal: e.TEMPORAL_ADDRESS
      ? { mode: 'external', address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE }
      : {
          mode: 'local',
          cliPath: e.TEMPORAL_CLI_PATH,
          port: e.TEMPORAL_PORT,
          uiPort: e.TEMPORAL_UI_PORT,
          namespace: e.TEMPORAL_NAMESPACE,
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
          },
    javaHome: e.JAVA_HOME,
    apiPort: e.API_PORT,
  };
}
