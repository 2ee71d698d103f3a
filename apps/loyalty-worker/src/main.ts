import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLoyaltyActivities,
  createOutboxMailer,
  createSmtpDeliver,
  keepWorkerRunning,
  startHealthServer,
} from '@invincible/activities';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import { WORKFLOW_SOURCES } from '@invincible/workflows';
import { connectOrExplain, diagnoseConnectionError } from '@invincible/temporal-runtime';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type LogLevel,
  type Worker,
} from '@temporalio/worker';
import pino from 'pino';
import { createLoyaltyWorker, type WorkflowSource } from './loyalty-worker';
import { loadConfig } from './config';

/** The composition root: the only place that reads the environment, connects or exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'loyalty-worker' } });
  Runtime.install({
    logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level]({ ...entry.meta }, entry.message);
    }),
  });

  // SIGINT/SIGTERM: the Runtime shuts a running worker down; this ends the waits before that.
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

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
        worker = await createLoyaltyWorker({
          connection: conn,
          namespace: config.temporal.namespace,
          workflows,
          tuning: config.tuning,
          activities,
          payloadCodec: config.payloadCodec,
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
    await Promise.allSettled([repository.close(), health?.close()]);
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
