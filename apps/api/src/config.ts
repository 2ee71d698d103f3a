import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repositoryConfigFromEnv, type RepositoryConfig } from '@invincible/astra-repo';
import {
  payloadCodecFromEnv,
  temporalConnectionFromEnv,
  tracingSettingsFromEnv,
  type AesGcmPayloadCodec,
  type TemporalConnectionConfig,
} from '@invincible/temporal-runtime';
import { z } from 'zod';
import type { ApiKey } from './http/auth';
import { INTERVAL_UNITS, type IntervalUnitName } from './subscriptions/subscription-schemas';

/** `name:secret` pairs, comma-separated; secrets of at least 16 characters. */
const apiKeys = z
  .string()
  .trim()
  .transform((value, ctx): ApiKey[] => {
    if (value === '') return [];
    const keys: ApiKey[] = [];
    for (const entry of value.split(',')) {
      const match = /^([A-Za-z0-9_.-]{1,64}):([\x21-\x7e]{16,512})$/.exec(entry.trim());
      if (!match?.[1] || !match[2]) {
        ctx.addIssue({
          code: 'custom',
          message:
            'each entry is name:secret (name: letters, digits, "_", "." or "-"; secret: 16 to 512 visible characters)',
        });
        return z.NEVER;
      }
      keys.push({ name: match[1], secret: match[2] });
    }
    return keys;
  });

const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `24h`, `30m`, `365d`, `90s` or `500ms`, in milliseconds. */
const duration = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value);
    if (!match?.[1] || !match[2]) {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 24h, 30m, 365d, 90s or 500ms' });
      return z.NEVER;
    }
    return Number(match[1]) * DURATION_MS[match[2] as keyof typeof DURATION_MS];
  });

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` or `pretty`; unset: pretty on a terminal, JSON otherwise (collectors, containers). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().default('development'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).optional(),
  REPOSITORY_MIGRATE: z.enum(['true', 'false']).default('true'),
  API_KEYS: apiKeys.default([]),
  API_KEYS_TENANT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'a tenant id: 2 to 32 a-z, 0-9 or "-"')
    .default('dev'),
  ADMIN_API_KEYS: apiKeys.default([]),
  SIGNING_SECRET: z.string().min(32, 'at least 32 characters').max(512).optional(),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, '16 to 512 visible characters')
    .optional(),
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  PUBLIC_DOCS: z.enum(['true', 'false']).default('true'),
  KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  UNAUTHENTICATED_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  MIN_BILLING_INTERVAL: z.enum(INTERVAL_UNITS).optional(),
  START_AT_MAX_BACKDATE: duration.default(86_400_000),
  START_AT_MAX_AHEAD: duration.default(365 * 86_400_000),
  QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Origins allowed to call /v1/codec from a browser (the Temporal Web UI's), comma-separated. */
  CODEC_CORS_ORIGINS: z
    .string()
    .trim()
    .transform((v) => (v === '' ? [] : v.split(',').map((o) => o.trim())))
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[^/\s]+$/,
            'origins such as http://127.0.0.1:8233 (scheme, host, port)',
          ),
      ),
    )
    .default([]),
  /** The built operator console (apps/console's `vite build`), served under /console; empty: none. */
  CONSOLE_DIR: z.string().trim().optional(),
  /** The Temporal Web UI the console links workflows to, e.g. http://127.0.0.1:8233. */
  CONSOLE_TEMPORAL_UI_URL: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s]+[^/\s]$/, 'a URL such as http://127.0.0.1:8233 (no trailing /)')
    .optional(),
  /** Development only: an API key the console's sign-in page offers (`npm start` sets it). */
  CONSOLE_DEV_API_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, '16 to 512 visible characters')
    .optional(),
});

/** What the API serves of the operator console, when CONSOLE_DIR is set. */
export interface ConsoleConfig {
  /** An absolute path to the built console: its index.html and assets/. */
  readonly dir: string;
  readonly temporalUiUrl: string | null;
  /** Outside production only. */
  readonly devApiKey: string | null;
}

export interface ApiConfig {
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly shutdownTimeoutMs: number;
    /**
     * After SIGTERM, how long the server keeps listening (and serving) with `/readyz` at 503
     * before it stops accepting: the time a load balancer needs to see it and stop routing here.
     * Default 5 s with NODE_ENV=production, 0 otherwise (Ctrl-C of the local stack stays quick).
     */
    readonly shutdownDelayMs: number;
    /** How long a client may take to send a request's headers / the whole request (408, close). */
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    readonly keepAliveTimeoutMs: number;
  };
  readonly logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Undefined: the composition root decides by whether standard output is a terminal. */
  readonly logFormat: z.infer<typeof schema>['LOG_FORMAT'];
  /** Address, namespace, TLS / mTLS / API key: the shared reading of the TEMPORAL_* variables. */
  readonly temporal: TemporalConnectionConfig;
  /** AES-256-GCM on every payload (PAYLOAD_CODEC_KEYS / _FILE); unset: payloads in clear. */
  readonly payloadCodec: AesGcmPayloadCodec | undefined;
  /** Origins allowed to call /v1/codec from a browser (CODEC_CORS_ORIGINS). */
  readonly codecCorsOrigins: readonly string[];
  readonly repository: RepositoryConfig;
  /** Create or upgrade the schema at start-up (REPOSITORY_MIGRATE=false leaves it to a deploy step). */
  readonly migrateOnStart: boolean;
  /**
   * API_KEYS: full keys of the tenant API_KEYS_TENANT. Empty outside production: main.ts then
   * makes a development key and prints it. In production, keys are made with `npm run keys`.
   */
  readonly apiKeys: readonly ApiKey[];
  readonly apiKeysTenant: string;
  readonly adminKeys: readonly ApiKey[];
  /**
   * Signs customer tokens and paging cursors: the same on every replica. Required in production;
   * outside it, null makes main.ts use a random one for the run.
   */
  readonly signingSecret: string | null;
  /** `/metrics` on the API's port: open (development), by token, or off (see metricsPort). */
  readonly metricsAccess: 'open' | 'off' | { readonly token: string };
  /** A second port serving only `/metrics`, for a scraper on a private network. */
  readonly metricsPort: number | null;
  readonly publicDocs: boolean;
  readonly keyCacheTtlMs: number;
  readonly production: boolean;
  readonly rateLimitPerMinute: number;
  /** Requests per minute per client address that fail authentication (401) before it gets 429s. */
  readonly unauthenticatedLimitPerMinute: number;
  readonly limits: {
    /** The shortest billing interval unit a subscription may use (`hour` in production). */
    readonly minBillingInterval: IntervalUnitName;
    /** How far in the past a subscription's `startAt` may be (never more than one period). */
    readonly startAtMaxBackdateMs: number;
    /** How far in the future a subscription's `startAt` may be. */
    readonly startAtMaxAheadMs: number;
  };
  readonly queryTimeoutMs: number;
  /** How long a request waits for a Workflow Update's outcome before answering 503. */
  readonly updateTimeoutMs: number;
  /** The operator console under /console (CONSOLE_DIR); null: not served. */
  readonly console: ConsoleConfig | null;
}

/** Parses the API's environment once; throws listing every invalid variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  const parsed = schema.safeParse(env);
  const repository = repositoryConfigFromEnv(env);
  const temporal = temporalConnectionFromEnv(env);
  const codec = payloadCodecFromEnv(env);
  // Read (and started) by instrument.ts before anything loads; checked here with the rest.
  const tracing = tracingSettingsFromEnv(env);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...(repository.ok ? [] : repository.issues),
    ...(temporal.ok ? [] : temporal.issues),
    ...(codec.ok ? [] : codec.issues),
    ...(tracing.ok ? [] : tracing.issues),
  ];
  if (parsed.success && parsed.data.NODE_ENV === 'production' && !parsed.data.SIGNING_SECRET)
    issues.push(
      'SIGNING_SECRET: required in production (32+ random characters, the same on every replica)',
    );
  const consoleDir =
    parsed.success && parsed.data.CONSOLE_DIR ? resolve(parsed.data.CONSOLE_DIR) : null;
  if (consoleDir && !existsSync(join(consoleDir, 'index.html')))
    issues.push(
      `CONSOLE_DIR: no index.html in ${consoleDir} (build the console: npx nx run console:build)`,
    );
  if (parsed.success && parsed.data.NODE_ENV === 'production' && parsed.data.CONSOLE_DEV_API_KEY)
    issues.push('CONSOLE_DEV_API_KEY: development only; unset it in production');
  if (
    parsed.success &&
    !parsed.data.CONSOLE_DIR &&
    (parsed.data.CONSOLE_DEV_API_KEY || parsed.data.CONSOLE_TEMPORAL_UI_URL)
  )
    issues.push('CONSOLE_DIR: required with CONSOLE_DEV_API_KEY or CONSOLE_TEMPORAL_UI_URL');
  if (parsed.success && parsed.data.HEADERS_TIMEOUT_MS > parsed.data.REQUEST_TIMEOUT_MS)
    issues.push('HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS');
  if (
    !parsed.success ||
    !repository.ok ||
    !temporal.ok ||
    !codec.ok ||
    !tracing.ok ||
    issues.length > 0
  ) {
    throw new Error(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      shutdownDelayMs: e.SHUTDOWN_DELAY_MS ?? (e.NODE_ENV === 'production' ? 5_000 : 0),
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    temporal: temporal.config,
    payloadCodec: codec.codec,
    codecCorsOrigins: e.CODEC_CORS_ORIGINS,
    repository: repository.config,
    migrateOnStart: e.REPOSITORY_MIGRATE === 'true',
    apiKeys: e.API_KEYS,
    apiKeysTenant: e.API_KEYS_TENANT,
    adminKeys: e.ADMIN_API_KEYS,
    signingSecret: e.SIGNING_SECRET ?? null,
    metricsAccess: e.METRICS_TOKEN
      ? { token: e.METRICS_TOKEN }
      : e.METRICS_PORT !== undefined || production
        ? 'off'
        : 'open',
    metricsPort: e.METRICS_PORT ?? null,
    publicDocs: e.PUBLIC_DOCS === 'true',
    keyCacheTtlMs: e.KEY_CACHE_TTL_MS,
    production,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    unauthenticatedLimitPerMinute: e.UNAUTHENTICATED_LIMIT_PER_MINUTE,
    limits: {
      minBillingInterval:
        e.MIN_BILLING_INTERVAL ?? (e.NODE_ENV === 'production' ? 'hour' : 'second'),
      startAtMaxBackdateMs: e.START_AT_MAX_BACKDATE,
      startAtMaxAheadMs: e.START_AT_MAX_AHEAD,
    },
    queryTimeoutMs: e.QUERY_TIMEOUT_MS,
    updateTimeoutMs: e.UPDATE_TIMEOUT_MS,
    console: consoleDir
      ? {
          dir: consoleDir,
          temporalUiUrl: e.CONSOLE_TEMPORAL_UI_URL ?? null,
          devApiKey: e.CONSOLE_DEV_API_KEY ?? null,
        }
      : null,
  };
}
