// First: tracing patches fetch and cassandra-driver as they load.
import { tracing } from './instrument';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLoyaltyActivities,
  createLoyaltyMetrics,
  createOutboxMailer,
  createSmtpDeliver,
  keepWorkerRunning,
  startHealthServer,
} from '@invincible/activities';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import { SEARCH_ATTRIBUTE_KEYS, WORKFLOW_SOURCES } from '@invincible/workflows';
import {
  connectOrExplain,
  diagnoseConnectionError,
  ensureSearchAttributes,
  createAppLogger,
  forwardSdkLogs,
  shutdownDeadlineMs,
  metricsEndpointError,
  workerMetricsUrl,
  workerTelemetryOptions,
} from '@invincible/temporal-runtime';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type LogLevel,
  type Worker,
} from '@temporalio/worker';
import { createLoyaltyWorker, type WorkflowSource } from './loyalty-worker';
import { loadConfig } from './config';

/** The composition root: the only place that reads the environment, connects or exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Pretty at a terminal, JSON for collectors; inside a span, each line carries its trace ids.
  const logger = createAppLogger({
    service: 'loyalty-worker',
    level: config.logLevel,
    format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    tracing,
  });
  try {
    Runtime.install({
      logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, forwardSdkLogs(logger)),
      // Temporal's worker metrics and the app's counters, on one Prometheus endpoint.
      ...(config.metrics
        ? { telemetryOptions: workerTelemetryOptions(config.metrics, 'loyalty-worker') }
        : {}),
    });
  } catch (error) {
    // The SDK's own text names neither the address nor the setting.
    throw config.metrics ? metricsEndpointError(error, config.metrics) : error;
  }
  if (config.metrics) logger.info({ url: workerMetricsUrl(config.metrics) }, 'metrics endpoint up');

  // SIGINT/SIGTERM: the Runtime shuts a running worker down; this ends the waits before that.
  // Whatever still hangs past the grace time and its margin, the process exits: an orchestrator
  // counts on a bound (its termination grace period must be longer, see README).
  const stop = new AbortController();
  const deadlineMs = shutdownDeadlineMs(config.tuning);
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

  // The build puts the prebuilt bundle next to main.js; from source, the worker bundles at start.
  const bundlePath = config.workflowBundlePath ?? join(__dirname, 'workflow-bundle.js');
  const workflows: WorkflowSource = existsSync(bundlePath)
    ? { bundlePath }
    : { workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty) };

  const repository = createRepository(config.repository);
  if (config.migrateOnStart) {
    phase = 'waiting for the database schema';
    // The activities need the schema: wait for the database rather than crash-loop.
    const done = await migrateUntilDone(repository, {
      onRetry: (error) => logger.warn({ err: error }, 'schema migration failed; retrying in 5 s'),
      stopped: () => stop.signal.aborted,
    });
    if (done) logger.info({ backend: repository.backend }, 'schema up to date');
  }
  const deliver = config.smtp ? createSmtpDeliver(config.smtp) : undefined;
  const activities = createLoyaltyActivities({
    repository,
    mailer: createOutboxMailer({ outbox: repository.outbox, ...(deliver ? { deliver } : {}) }),
    // Served on the metrics endpoint when there is one; counted into nothing otherwise.
    metrics: createLoyaltyMetrics(Runtime.instance().metricMeter),
  });

  try {
    // Waits for Temporal with backoff, and starts over when the worker loses it for good.
    phase = 'connecting to Temporal';
    await keepWorkerRunning({
      connect: () =>
        connectOrExplain(
          () => NativeConnection.connect(config.temporal.connectionOptions),
          config.temporal,
        ),
      run: async (conn) => {
        connection = conn;
        // Before polling: a workflow setting an attribute the namespace lacks fails every task.
        // Missing ones are added if allowed; otherwise this refuses to start, naming the command.
        const { added } = await ensureSearchAttributes({
          operator: conn.operatorService,
          namespace: config.temporal.namespace,
          attributes: SEARCH_ATTRIBUTE_KEYS,
        });
        if (added.length > 0) logger.info({ added }, 'search attributes registered');
        worker = await createLoyaltyWorker({
          connection: conn,
          namespace: config.temporal.namespace,
          workflows,
          tuning: config.tuning,
          activities,
          payloadCodec: config.payloadCodec,
          tracing,
        });
        logger.info(
          { taskQueue: worker.options.taskQueue, workflows, tuning: config.tuning },
          'worker polling',
        );
        // A signal that came while the worker was being created: it was never registered for it.
        if (stop.signal.aborted) return;
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
            ? `${diagnoseConnectionError(error, config.temporal).line}; retrying in ${delayMs} ms`
            : `worker lost Temporal; reconnecting in ${delayMs} ms`,
        ),
    });
  } finally {
    await Promise.allSettled([
      repository.close(),
      health?.close(),
      tracing?.shutdown(), // the last spans are exported before the process ends
    ]);
  }
  logger.info('stopped');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
