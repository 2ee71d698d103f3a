import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBillingActivities,
  createLoyaltyNotifier,
  createOutboxCourier,
  createOutboxMailer,
  createReconciliationActivities,
  createSandboxGateway,
  createSmtpDeliver,
} from '@invincible/activities';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import { WORKFLOW_SOURCES } from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import pino from 'pino';
import { createBillingWorker, type WorkflowSource } from './billing-worker';
import { loadConfig } from './config';
import { ensureReconcileSchedule } from './reconcile-schedule';

/** How often the delivery loop looks for pending emails (besides a nudge on every enqueue). */
const OUTBOX_SWEEP_MS = 5_000;

/** The composition root: the only place that reads the environment, connects or exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'billing-worker' } });
  Runtime.install({
    logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level]({ ...entry.meta }, entry.message);
    }),
  });

  // The build puts the prebuilt bundle next to main.js; from source, the worker bundles at start.
  const bundlePath = config.workflowBundlePath ?? join(__dirname, 'workflow-bundle.js');
  const workflows: WorkflowSource = existsSync(bundlePath)
    ? { bundlePath }
    : { workflowsPath: require.resolve(WORKFLOW_SOURCES.billing) };

  const repository = createRepository(config.repository);
  if (config.migrateOnStart) {
    // The activities need the schema: wait for the database rather than crash-loop.
    await migrateUntilDone(repository, {
      onRetry: (error) => logger.warn({ err: error }, 'schema migration failed; retrying in 5 s'),
    });
    logger.info({ backend: repository.backend }, 'schema up to date');
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
  // A client for the activities that talk to other workflows (the customer's loyalty program).
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const billingActivities = createBillingActivities({
    repository,
    payments: createSandboxGateway({
      payments: repository.payments,
      failureRate: config.payments.sandboxFailureRate,
      latencyMs: config.payments.sandboxLatencyMs,
    }),
    mailer: createOutboxMailer({ outbox: repository.outbox, ...(courier ? { courier } : {}) }),
    loyalty: createLoyaltyNotifier(client.workflow),
  });
  const activities = {
    ...billingActivities,
    ...createReconciliationActivities({ repository, workflows: client.workflow }),
  };

  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await createBillingWorker({
      connection,
      namespace: config.temporal.namespace,
      workflows,
      tuning: config.tuning,
      activities,
    });
    logger.info(
      { taskQueue: worker.options.taskQueue, workflows, tuning: config.tuning },
      'worker polling',
    );
    courier?.start(OUTBOX_SWEEP_MS);
    // Here rather than in the dev tooling, so that every deployment gets (and updates) it.
    const schedule = await ensureReconcileSchedule(client.schedule, {
      intervalMs: config.reconcile.intervalMs,
      settings: {
        outboxPendingBoundMs: config.reconcile.outboxPendingBoundMs,
        graceMs: config.reconcile.graceMs,
      },
    });
    logger.info({ schedule, intervalMs: config.reconcile.intervalMs }, 'reconcile schedule');
    // Resolves after SIGINT/SIGTERM: polling stops, in-flight tasks get the shutdown grace time.
    await worker.run();
  } finally {
    await courier?.stop();
    await Promise.allSettled([connection.close(), clientConnection.close(), repository.close()]);
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
