import { repositoryConfigFromEnv, type RepositoryConfig } from '@invincible/astra-repo';
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  REPOSITORY_MIGRATE: z.enum(['true', 'false']).default('true'),
});

export interface ApiConfig {
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly shutdownTimeoutMs: number;
  };
  readonly logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  readonly temporal: { readonly address: string; readonly namespace: string };
  readonly repository: RepositoryConfig;
  /** Create or upgrade the schema at start-up (REPOSITORY_MIGRATE=false leaves it to a deploy step). */
  readonly migrateOnStart: boolean;
}

/** Parses the API's environment once; throws listing every invalid variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  const parsed = schema.safeParse(env);
  const repository = repositoryConfigFromEnv(env);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...(repository.ok ? [] : repository.issues),
  ];
  if (!parsed.success || !repository.ok) {
    throw new Error(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    http: { port: e.PORT, host: e.HOST, shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE },
    repository: repository.config,
    migrateOnStart: e.REPOSITORY_MIGRATE === 'true',
  };
}
