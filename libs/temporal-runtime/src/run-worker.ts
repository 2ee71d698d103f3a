import { existsSync } from 'node:fs';
import type { MetricMeter, PayloadCodec } from '@temporalio/common';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type LogLevel,
  type Worker,
} from '@temporalio/worker';
import type { Logger } from 'pino';
import type { TemporalConnectionConfig } from './connection';
import { connectOrExplain, diagnoseConnectionError } from './diagnose';
import { startHealthServer } from './health-server';
import { keepWorkerRunning } from './keep-worker-running';
import { createAppLogger, forwardSdkLogs, type LogFormat } from './logging';
import { ensureSearchAttributes, type SearchAttributeSpec } from './search-attributes';
import type { Tracing } from './tracing';
import {
  metricsEndpointError,
  workerMetricsUrl,
  workerTelemetryOptions,
  type WorkerMetricsEndpoint,
} from './worker-metrics';
import { shutdownDeadlineMs, type WorkerTuning } from './worker-tuning';

/** Where the workflow code comes from: a prebuilt bundle (production) or source (development). */
export type WorkflowSource = { readonly bundlePath: string } | { readonly workflowsPath: string };

/** What a worker app's `create<Domain>Worker(deps)` takes; runWorker passes its own settings. */
export interface WorkerFactoryDeps<A> {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly workflows: WorkflowSource;
  readonly tuning: WorkerTuning;
  readonly activities: A;
  /** Encrypts payloads (PAYLOAD_CODEC_KEYS); undefined: in clear. */
  readonly payloadCodec?: PayloadCodec | undefined;
  /** Where workflow and activity spans go (OTEL_*); undefined: not traced. */
  readonly tracing?: Tracing | undefined;
}

/** The settings runWorker reads, named as the worker apps' `loadConfig` returns them. */
export interface RunWorkerConfig {
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Undefined: pretty on a terminal, JSON otherwise (collectors, containers). */
  readonly logFormat: LogFormat | undefined;
  readonly temporal: TemporalConnectionConfig;
  readonly payloadCodec: PayloadCodec | undefined;
  readonly tuning: WorkerTuning;
  /** Where Prometheus' `/metrics` listens; undefined: not served. */
  readonly metrics: WorkerMetricsEndpoint | undefined;
  /** Where `/healthz` and `/readyz` listen; undefined: not served. */
  readonly health: { readonly host: string; readonly port: number } | undefined;
}

/** Handed to the app's `setup` once the runtime is installed (and the schema is up to date). */
export interface WorkerSetupContext {
  readonly logger: Logger;
  /** The Runtime's: the app's counters are served on the worker's metrics endpoint, if any. */
  readonly metricMeter: MetricMeter;
  /** Aborted on SIGINT/SIGTERM: background loops of the app end on it. */
  readonly signal: AbortSignal;
}

/** What differs between workers once the process runs: their activities and their extras. */
export interface WorkerSetup<A> {
  readonly activities: A;
  /** Before the first connection attempt (billing: its email delivery loop). */
  readonly start?: () => void;
  /** Each time the worker starts polling (billing: keeping its reconcile Schedule current). */
  readonly polling?: () => void;
  /** Once the worker stopped, awaited before anything closes (a loop that still writes). */
  readonly stop?: () => Promise<void>;
  /** Closes what `setup` opened, along with the repository, the health server and the tracer. */
  readonly close?: () => Promise<void>;
}

export interface RunWorkerOptions<A> {
  /** The app's name: in every log line and as the `app` tag of its metrics. */
  readonly service: string;
  /** The app's whole config will do: only these fields are read. */
  readonly config: RunWorkerConfig;
  readonly tracing: Tracing | undefined;
  /** Registered in the namespace before polling, when allowed (see `ensureSearchAttributes`). */
  readonly searchAttributes: readonly SearchAttributeSpec[];
  /** The prebuilt bundle if it exists, else the source; see {@link chooseWorkflowSource}. */
  readonly workflows: { readonly bundlePath: string; readonly workflowsPath: () => string };
  /** The app's repository: named in the log, closed at the end. */
  readonly repository: { readonly backend: string; close(): Promise<void> };
  /**
   * Waits for the database schema before the activities exist: `migrateUntilDone` of
   * `@invincible/astra-repo` (a data lib this one may not import); undefined: not migrated here.
   */
  readonly migrate:
    | ((options: {
        readonly onRetry: (error: unknown) => void;
        readonly stopped: () => boolean;
      }) => Promise<boolean>)
    | undefined;
  readonly setup: (context: WorkerSetupContext) => WorkerSetup<A>;
  /** The app's `create<Domain>Worker`: task queue, activities, interceptors, converter. */
  readonly createWorker: (deps: WorkerFactoryDeps<A>) => Promise<Worker>;
}

/**
 * The prebuilt bundle when the build put one at `bundlePath` (next to main.js); otherwise the
 * workflow source, bundled by the worker at start (development). `workflowsPath` is resolved
 * only then: a pruned image has the bundle and no source.
 */
export function chooseWorkflowSource(
  workflows: RunWorkerOptions<unknown>['workflows'],
  exists: (path: string) => boolean = existsSync,
): WorkflowSource {
  return exists(workflows.bundlePath)
    ? { bundlePath: workflows.bundlePath }
    : { workflowsPath: workflows.workflowsPath() };
}

/**
 * Runs a Temporal worker process from its settings, the same way for every worker app, so that
 * an app's `main.ts` holds only what differs (its config, repository, activities and extras):
 * installs the Runtime (logs through the app's logger, Prometheus metrics), serves `/healthz`
 * and `/readyz`, waits for the schema, connects with backoff and a diagnosis, registers search
 * attributes, creates and runs the worker through outages, and on SIGINT/SIGTERM stops it
 * within {@link shutdownDeadlineMs} (past it, the process exits 1). Resolves once stopped;
 * rejects on a failure a restart would not fix. Exiting with the outcome is the caller's.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * const repository = createRepository(config.repository);
 * await runWorker({
 *   service: 'loyalty-worker',
 *   config,
 *   tracing,
 *   searchAttributes: SEARCH_ATTRIBUTE_KEYS,
 *   workflows: { bundlePath, workflowsPath: () => require.resolve(WORKFLOW_SOURCES.loyalty) },
 *   repository,
 *   migrate: (options) => migrateUntilDone(repository, options),
 *   setup: ({ metricMeter }) => ({ activities: createLoyaltyActivities({ repository, ... }) }),
 *   createWorker: createLoyaltyWorker,
 * });
 * ```
 */
export async function runWorker<A>(options: RunWorkerOptions<A>): Promise<void> {
  const { service, config, tracing } = options;
  const { temporal, tuning } = config;
  // Pretty at a terminal, JSON for collectors; inside a span, each line carries its trace ids.
  const logger = createAppLogger({
    service,
    level: config.logLevel,
    format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    tracing,
  });
  try {
    Runtime.install({
      logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, forwardSdkLogs(logger)),
      // Temporal's worker metrics and the app's counters, on one Prometheus endpoint.
      ...(config.metrics
        ? { telemetryOptions: workerTelemetryOptions(config.metrics, service) }
        : {}),
    });
  } catch (error) {
    // The SDK's own text names neither the address nor the setting.
    throw config.metrics ? metricsEndpointError(error, config.metrics) : error;
  }
  if (config.metrics) {
    logger.info({ url: workerMetricsUrl(config.metrics) }, 'metrics endpoint up');
  }

  // SIGINT/SIGTERM: the Runtime shuts a running worker down; this ends the waits before that.
  // Whatever still hangs past the grace time and its margin, the process exits: an orchestrator
  // counts on a bound (its termination grace period must be longer, see README).
  const stop = new AbortController();
  const deadlineMs = shutdownDeadlineMs(tuning);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop.abort();
      setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown still not done at its deadline; exiting');
        process.exit(1);
      }, deadlineMs).unref();
    });
  }

  // Health first: live at once, ready only once the worker runs and Temporal answers.
  let worker: Worker | undefined;
  let connection: NativeConnection | undefined;
  let phase = 'starting';
  const health = config.health
    ? await startHealthServer({
        ...config.health,
        notReady: async () => {
          if (stop.signal.aborted) return 'shutting down';
          if (!worker || !connection || worker.getState() !== 'RUNNING') return phase;
          const conn = connection;
          await conn.withDeadline(Date.now() + 2_000, () => conn.healthService.check({}));
          return undefined;
        },
      })
    : undefined;
  if (health) logger.info({ port: health.port, host: config.health?.host }, 'health endpoints up');

  const workflows = chooseWorkflowSource(options.workflows);
  let setup: WorkerSetup<A> | undefined;
  try {
    if (options.migrate) {
      phase = 'waiting for the database schema';
      // The activities need the schema: wait for the database rather than crash-loop.
      const done = await options.migrate({
        onRetry: (error) => logger.warn({ err: error }, 'schema migration failed; retrying in 5 s'),
        stopped: () => stop.signal.aborted,
      });
      if (done) logger.info({ backend: options.repository.backend }, 'schema up to date');
    }
    const app = options.setup({
      logger,
      metricMeter: Runtime.instance().metricMeter,
      signal: stop.signal,
    });
    setup = app;
    app.start?.();
    // Waits for Temporal with backoff, and starts over when the worker loses it for good.
    phase = 'connecting to Temporal';
    await keepWorkerRunning({
      connect: () =>
        connectOrExplain(() => NativeConnection.connect(temporal.connectionOptions), temporal),
      run: async (conn) => {
        connection = conn;
        // Before polling: a workflow setting an attribute the namespace lacks fails every task.
        // Missing ones are added if allowed; otherwise this refuses to start, naming the command.
        const { added } = await ensureSearchAttributes({
          operator: conn.operatorService,
          namespace: temporal.namespace,
          attributes: options.searchAttributes,
        });
        if (added.length > 0) logger.info({ added }, 'search attributes registered');
        worker = await options.createWorker({
          connection: conn,
          namespace: temporal.namespace,
          workflows,
          tuning,
          activities: app.activities,
          payloadCodec: config.payloadCodec,
          tracing,
        });
        logger.info({ taskQueue: worker.options.taskQueue, workflows, tuning }, 'worker polling');
        // A signal that came while the worker was being created: it was never registered for it.
        if (stop.signal.aborted) return;
        app.polling?.();
        try {
          // Resolves after SIGINT/SIGTERM: polling stops, in-flight tasks get the grace time.
          await worker.run();
        } catch (error) {
          // Asked to stop, and tasks outlived the grace time and its margin (shutdownForceTime):
          // the SDK gives up on them (its error can come out as a later one, e.g. IllegalStateError).
          // Their attempts time out and Temporal retries them on another worker.
          if (stop.signal.aborted) {
            logger.warn(
              { err: error },
              'worker stopped before its tasks drained; they will be retried elsewhere',
            );
          }
          throw error;
        } finally {
          worker = undefined;
          connection = undefined;
        }
      },
      signal: stop.signal,
      onRetry: ({ what, error, attempt, delayMs }) =>
        logger.warn(
          { err: error, attempt, delayMs },
          what === 'connect'
            ? `${diagnoseConnectionError(error, temporal).line}; retrying in ${delayMs} ms`
            : `worker lost Temporal; reconnecting in ${delayMs} ms`,
        ),
    });
  } finally {
    try {
      await setup?.stop?.();
    } finally {
      await Promise.allSettled([
        setup?.close?.(),
        options.repository.close(),
        health?.close(),
        tracing?.shutdown(), // the last spans are exported before the process ends
      ]);
    }
  }
  logger.info('stopped');
}
