import { z } from 'zod';
import type { WorkerMetricsEndpoint } from './worker-metrics';
import type { WorkerTuning } from './worker-tuning';

const count = z.coerce.number().int().min(1).max(10_000);

/** A share of the host's CPU or memory, for the resource-based tuner. */
const share = z.coerce
  .number()
  .gt(0, 'a share above 0, at most 1 (e.g. 0.8)')
  .max(1, 'at most 1 (e.g. 0.8)');

const schema = z.object({
  WORKER_MAX_CONCURRENT_ACTIVITIES: count.default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count.default(40),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(1_000),
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /** `fixed`: WORKER_MAX_CONCURRENT_* slots; `resource-based`: up to them while CPU and memory allow. */
  WORKER_TUNER: z.enum(['fixed', 'resource-based']).default('fixed'),
  WORKER_TARGET_CPU: share.optional(),
  WORKER_TARGET_MEMORY: share.optional(),
  /** Prometheus `/metrics` (Temporal's SDK metrics and the app's) on this port; unset: none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** 127.0.0.1 by default; the image binds 0.0.0.0 for the scraper. */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

/** The resource-based tuner's targets when WORKER_TARGET_CPU / _MEMORY are not given. */
const DEFAULT_TARGET_USAGE = 0.8;

export type WorkerSettingsResult =
  | {
      readonly ok: true;
      readonly tuning: WorkerTuning;
      /** Where Prometheus' `/metrics` listens; undefined: not served. */
      readonly metrics: WorkerMetricsEndpoint | undefined;
    }
  | { readonly ok: false; readonly issues: readonly string[] };

/**
 * What both workers read the same way: their slots (fixed, or the resource-based tuner's ceiling
 * and targets), their cache, their shutdown grace and their metrics endpoint, from the
 * `WORKER_*` variables. Lists every bad value, and the combinations no single variable shows:
 * tuner targets without the tuner, a metrics port that is the health port.
 */
export function workerSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): WorkerSettingsResult {
  const parsed = schema.safeParse(env);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (env['WORKER_TUNER'] !== 'resource-based') {
    for (const name of ['WORKER_TARGET_CPU', 'WORKER_TARGET_MEMORY']) {
      if (env[name] !== undefined) issues.push(`${name}: only with WORKER_TUNER=resource-based`);
    }
  }
  const metricsPort = env['WORKER_METRICS_PORT'];
  if (metricsPort !== undefined && Number(metricsPort) === Number(env['HEALTH_PORT'] ?? NaN)) {
    issues.push('WORKER_METRICS_PORT: the same port as HEALTH_PORT; give each its own');
  }
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  const e = parsed.data;
  return {
    ok: true,
    tuning: {
      maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      shutdownGraceTimeMs: e.WORKER_SHUTDOWN_GRACE_MS,
      ...(e.WORKER_TUNER === 'resource-based'
        ? {
            resourceBased: {
              targetCpuUsage: e.WORKER_TARGET_CPU ?? DEFAULT_TARGET_USAGE,
              targetMemoryUsage: e.WORKER_TARGET_MEMORY ?? DEFAULT_TARGET_USAGE,
            },
          }
        : {}),
    },
    metrics:
      e.WORKER_METRICS_PORT === undefined
        ? undefined
        : { host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT },
  };
}
