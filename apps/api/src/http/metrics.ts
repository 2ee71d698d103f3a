import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { ReconciliationPort } from '@invincible/astra-repo';
import { FINDING_KINDS } from '@invincible/workflows';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { toHttpError } from './to-problem';

/** The API's Prometheus metrics, on a registry of its own (no global state). */
export interface ApiMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly workflowOperations: Counter<'operation' | 'name' | 'outcome'>;
  /** Writes answered whose audit event could not be stored. */
  readonly auditFailures: Counter;
  /** Requests let through unlimited because the rate-limit store failed or was too slow. */
  readonly rateLimitStoreFailures: Counter;
}

export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    workflowOperations: new Counter({
      name: 'invincible_workflow_operations_total',
      help: 'Workflow starts, Updates and queries made by the API, by outcome',
      labelNames: ['operation', 'name', 'outcome'],
      registers: [registry],
    }),
    auditFailures: new Counter({
      name: 'invincible_audit_write_failures_total',
      help: 'Writes answered whose audit event could not be stored (see the error log)',
      registers: [registry],
    }),
    rateLimitStoreFailures: new Counter({
      name: 'invincible_rate_limit_store_failures_total',
      help: 'Requests served without a rate-limit decision: the shared counter store failed or timed out',
      registers: [registry],
    }),
  };
}

/**
 * Reconciliation's gauges, read at scrape time from the latest finished run (one or two reads,
 * whatever the number of findings): its findings by kind (each one open as of that run), when it
 * finished and how long it took. Registered once per registry. A database that cannot answer
 * leaves the last values in place rather than failing the scrape.
 */
export function reconciliationGauges(
  metrics: ApiMetrics,
  reconciliation: Pick<ReconciliationPort, 'latestRun'>,
): void {
  const { registry } = metrics;
  if (registry.getSingleMetric('invincible_reconciliation_findings')) return;
  type Latest = Awaited<ReturnType<ReconciliationPort['latestRun']>>;
  // A registry collects its metrics concurrently: the three gauges of one scrape share one read.
  let pending: Promise<Latest | undefined> | null = null;
  const read = (): Promise<Latest | undefined> => {
    if (pending === null) {
      const current = reconciliation.latestRun().then(
        (run) => run,
        () => undefined, // the database cannot answer: keep the last values
      );
      pending = current;
      void current.then(() => {
        if (pending === current) pending = null;
      });
    }
    return pending;
  };
  new Gauge({
    name: 'invincible_reconciliation_findings',
    help: 'Findings of the latest finished reconciliation run, by kind (open as of that run)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const run = await read();
      if (run === undefined) return;
      for (const kind of FINDING_KINDS) this.set({ kind }, run?.findings[kind] ?? 0);
    },
  });
  new Gauge({
    name: 'invincible_reconciliation_last_run_timestamp_seconds',
    help: 'When the latest reconciliation run finished (Unix seconds; 0 before any has)',
    registers: [registry],
    async collect() {
      const run = await read();
      if (run === undefined) return;
      this.set(run?.finishedAt ? run.finishedAt.getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'invincible_reconciliation_last_run_duration_seconds',
    help: 'How long the latest reconciliation run took',
    registers: [registry],
    async collect() {
      const run = await read();
      if (run === undefined) return;
      const finishedAt = run?.finishedAt;
      this.set(run && finishedAt ? (finishedAt.getTime() - run.startedAt.getTime()) / 1000 : 0);
    },
  });
}

/** Observes every response's latency, labelled by the route template (never the raw URL). */
export function httpMetrics(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route as { path?: unknown } | undefined;
      end({
        method: req.method,
        route: typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}

export type WorkflowOperation = 'start' | 'update' | 'update-with-start' | 'query' | 'describe';

/** Runs one Temporal call and counts it by outcome. */
export type TrackWorkflow = <T>(
  operation: WorkflowOperation,
  name: string,
  call: () => Promise<T>,
) => Promise<T>;

export function workflowTracker(metrics: ApiMetrics): TrackWorkflow {
  return async (operation, name, call) => {
    try {
      const result = await call();
      metrics.workflowOperations.inc({ operation, name, outcome: 'ok' });
      return result;
    } catch (error) {
      metrics.workflowOperations.inc({ operation, name, outcome: outcomeOf(error) });
      throw error;
    }
  };
}

function outcomeOf(error: unknown): string {
  if (error instanceof WorkflowUpdateFailedError) return 'rejected';
  if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
  if (error instanceof WorkflowNotFoundError) return 'not_found';
  return toHttpError(error)?.status === 503 ? 'unavailable' : 'error';
}
