import { repositoryConfigFromEnv, type RepositoryConfig } from '@invincible/astra-repo';
import {
  payloadCodecFromEnv,
  temporalConnectionFromEnv,
  tracingSettingsFromEnv,
  workerSettingsFromEnv,
  type AesGcmPayloadCodec,
  type TemporalConnectionConfig,
  type WorkerMetricsEndpoint,
  type WorkerTuning,
} from '@invincible/temporal-runtime';
import { z } from 'zod';

const schema = z.object({
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** `json` or `pretty`; unset: pretty on a terminal, JSON otherwise (collectors, containers). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // WORKER_MAX_*, WORKER_SHUTDOWN_GRACE_MS, WORKER_TUNER, WORKER_TARGET_*, WORKER_METRICS_*:
  // read by workerSettingsFromEnv, the same for both workers.
  REPOSITORY_MIGRATE: z.enum(['true', 'false']).default('true'),
  /** `/healthz` and `/readyz` on this port; unset: no health server (two local replicas would clash). */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** 127.0.0.1 by default; the image binds 0.0.0.0 for the orchestrator's probes. */
  HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  /** Delivers emails over SMTP (smtp://user:pass@host:587) besides writing them to the outbox. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  SMTP_FROM: z.string().min(3).default('Invincible <loyalty@invincible.invalid>'),
});

export interface WorkerConfig {
  readonly logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Undefined: the composition root decides by whether standard output is a terminal. */
  readonly logFormat: z.infer<typeof schema>['LOG_FORMAT'];
  /** Address, namespace, TLS / mTLS / API key: the shared reading of the TEMPORAL_* variables. */
  readonly temporal: TemporalConnectionConfig;
  /** AES-256-GCM on every payload (PAYLOAD_CODEC_KEYS / _FILE); unset: payloads in clear. */
  readonly payloadCodec: AesGcmPayloadCodec | undefined;
  /** A prebuilt workflow bundle (production); absent → bundled from source at start (dev). */
  readonly workflowBundlePath: string | undefined;
  readonly tuning: WorkerTuning;
  readonly repository: RepositoryConfig;
  readonly migrateOnStart: boolean;
  /** Where `/healthz` and `/readyz` listen; undefined: not served. */
  readonly health: { readonly host: string; readonly port: number } | undefined;
  /** Where Prometheus' `/metrics` listens; undefined: not served. */
  readonly metrics: WorkerMetricsEndpoint | undefined;
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
}

export type { WorkerTuning };

/** Parses the worker's environment once; throws listing every invalid variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  const parsed = schema.safeParse(env);
  const repository = repositoryConfigFromEnv(env);
  const temporal = temporalConnectionFromEnv(env);
  const codec = payloadCodecFromEnv(env);
  // Read (and started) by instrument.ts before anything loads; checked here with the rest.
  const tracing = tracingSettingsFromEnv(env);
  const worker = workerSettingsFromEnv(env);
  if (!parsed.success || !repository.ok || !temporal.ok || !codec.ok || !tracing.ok || !worker.ok) {
    const issues = [
      ...(parsed.success
        ? []
        : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
      ...(worker.ok ? [] : worker.issues),
      ...(repository.ok ? [] : repository.issues),
      ...(temporal.ok ? [] : temporal.issues),
      ...(codec.ok ? [] : codec.issues),
      ...(tracing.ok ? [] : tracing.issues),
    ];
    throw new Error(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    temporal: temporal.config,
    payloadCodec: codec.codec,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    tuning: worker.tuning,
    repository: repository.config,
    migrateOnStart: e.REPOSITORY_MIGRATE === 'true',
    health: e.HEALTH_PORT === undefined ? undefined : { host: e.HEALTH_HOST, port: e.HEALTH_PORT },
    metrics: worker.metrics,
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM } : undefined,
  };
}
