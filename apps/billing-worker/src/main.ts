// First: tracing patches fetch and cassandra-driver as they load.
import { tracing } from './instrument';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBillingActivities,
  createBillingMetrics,
  createLoyaltyNotifier,
  createOutboxCourier,
  createOutboxMailer,
  createReconciliationActivities,
  createSandboxGateway,
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
  tracingClientInterceptors,
  shutdownDeadlineMs,
  metricsEndpointError,
  workerMetricsUrl,
  workerTelemetryOptions,
} from '@invincible/temporal-runtime';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type LogLevel,
  type Worker,
} from '@temporalio/worker';
import { createBillingWorker, type WorkflowSource } from './billing-worker';
import { loadConfig } from './config';
import { ensureReconcileSchedule } from './reconcile-schedule';

/** How often the delivery loop looks for pending emails (besides a nudge on every enqueue). */
const OUTBOX_SWEEP_MS = 5_000;

/** The composition root: the only place that reads the environment, connects or exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Pretty at a terminal, JSON for collectors; inside a span, each line carries its trace ids.
  const logger = createAppLogger({
    service: 'billing-worker',
    level: config.logLevel,
    format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    tracing,
  });
  try {
    Runtime.install({
      logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, forwardSdkLogs(logger)),
      // Temporal's worker metrics and the app's counters, on one Prometheus endpoint.
      ...(config.metrics
        ? { telemetryOptions: workerTelemetryOptions(config.metrics, 'billing-worker') }
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
    : { workflowsPath: require.resolve(WORKFLOW_SOURCES.billing) };

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
  // Emails are delivered apart from billing: activities only write the outbox; this loop sends
  // what is pending (any worker's backlog too), records permanent SMTP failures on the row.
  const courier = config.smtp
    ? createOutboxCourier({
        outbox: repository.outbox,
        deliver: createSmtpDeliver(config.smtp),
        onError: (error, email) =>
          logger.warn({ err: error, emailId: email.id }, 'email not delivered'),
      })
    : undefined;
  // A client for the activities that talk to other workflows (the customer's loyalty program);
  // lazy, so that it never stops the start while Temporal is away.
  const clientConnection = Connection.lazy(config.temporal.connectionOptions);
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    // The loyalty award's signal continues the charge's trace.
    interceptors: tracingClientInterceptors(),
    ...(config.payloadCodec ? { dataConverter: { payloadCodecs: [config.payloadCodec] } } : {}),
  });
  const billingActivities = createBillingActivities({
    repository,
    payments: createSandboxGateway({
      payments: repository.payments,
      failureRate: config.payments.sandboxFailureRate,
      latencyMs: config.payments.sandboxLatencyMs,
    }),
    mailer: createOutboxMailer({ outbox: repository.outbox, ...(courier ? { courier } : {}) }),
    loyalty: createLoyaltyNotifier(client.workflow),
    // Served on the metrics endpoint when there is one; counted into nothing otherwise.
    metrics: createBillingMetrics(Runtime.instance().metricMeter),
  });
  const activities = {
    ...billingActivities,
    ...createReconciliationActivities({ repository, workflows: client.workflow }),
  };

  /**
   * The reconcile Schedule, created or updated here rather than in the dev tooling, so that every
   * deployment gets it. Never fatal: retried every 30 s until Temporal takes it (once per run).
   */
  let scheduled = false;
  const keepScheduleCurrent = async () => {
    while (!scheduled && !stop.signal.aborted) {
      try {
        const schedule = await ensureReconcileSchedule(client.schedule, {
          intervalMs: config.reconcile.intervalMs,
          settings: {
            outboxPendingBoundMs: config.reconcile.outboxPendingBoundMs,
            graceMs: config.reconcile.graceMs,
          },
        });
        scheduled = true;
        logger.info({ schedule, intervalMs: config.reconcile.intervalMs }, 'reconcile schedule');
      } catch (error) {
        logger.warn({ err: error }, 'reconcile schedule not saved; retrying in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 30_000).unref());
      }
    }
  };

  try {
    courier?.start(OUTBOX_SWEEP_MS);
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
        worker = await createBillingWorker({
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
        void keepScheduleCurrent();
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
    await courier?.stop();
    await Promise.allSettled([
      clientConnection.close(),
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
