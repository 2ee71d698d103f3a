// First: tracing patches fetch and cassandra-driver as they load.
import { tracing } from './instrument';
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
} from '@invincible/activities';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import { SEARCH_ATTRIBUTE_KEYS, WORKFLOW_SOURCES } from '@invincible/workflows';
import { runWorker, tracingClientInterceptors } from '@invincible/temporal-runtime';
import { Client, Connection } from '@temporalio/client';
import { createBillingWorker } from './billing-worker';
import { loadConfig } from './config';
import { ensureReconcileSchedule } from './reconcile-schedule';

/** How often the delivery loop looks for pending emails (besides a nudge on every enqueue). */
const OUTBOX_SWEEP_MS = 5_000;

/**
 * The composition root: the only place that reads the environment. What every worker does
 * (runtime, health, connection, shutdown) is runWorker's; this holds what is billing's: its
 * activities, the email delivery loop, the client for other workflows and the reconcile Schedule.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const repository = createRepository(config.repository);
  await runWorker({
    service: 'billing-worker',
    config,
    tracing,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    // The build puts the prebuilt bundle next to main.js; from source, the worker bundles at start.
    workflows: {
      bundlePath: config.workflowBundlePath ?? join(__dirname, 'workflow-bundle.js'),
      workflowsPath: () => require.resolve(WORKFLOW_SOURCES.billing),
    },
    repository,
    migrate: config.migrateOnStart ? (options) => migrateUntilDone(repository, options) : undefined,
    setup: ({ logger, metricMeter, signal }) => {
      // Emails are delivered apart from billing: activities only write the outbox; this loop
      // sends what is pending (any worker's backlog too), records permanent SMTP failures on the row.
      const courier = config.smtp
        ? createOutboxCourier({
            outbox: repository.outbox,
            deliver: createSmtpDeliver(config.smtp),
            onError: (error, email) =>
              logger.warn({ err: error, emailId: email.id }, 'email not delivered'),
          })
        : undefined;
      // A client for the activities that talk to other workflows (the customer's loyalty
      // program); lazy, so that it never stops the start while Temporal is away.
      const clientConnection = Connection.lazy(config.temporal.connectionOptions);
      const client = new Client({
        connection: clientConnection,
        namespace: config.temporal.namespace,
        // The loyalty award's signal continues the charge's trace.
        interceptors: tracingClientInterceptors(),
        ...(config.payloadCodec ? { dataConverter: { payloadCodecs: [config.payloadCodec] } } : {}),
      });

      /**
       * The reconcile Schedule, created or updated here rather than in the dev tooling, so that
       * every deployment gets it. Never fatal: retried every 30 s until Temporal takes it (once
       * per run).
       */
      let scheduled = false;
      const keepScheduleCurrent = async () => {
        while (!scheduled && !signal.aborted) {
          try {
            const schedule = await ensureReconcileSchedule(client.schedule, {
              intervalMs: config.reconcile.intervalMs,
              settings: {
                outboxPendingBoundMs: config.reconcile.outboxPendingBoundMs,
                graceMs: config.reconcile.graceMs,
              },
            });
            scheduled = true;
            logger.info(
              { schedule, intervalMs: config.reconcile.intervalMs },
              'reconcile schedule',
            );
          } catch (error) {
            logger.warn({ err: error }, 'reconcile schedule not saved; retrying in 30 s');
            await new Promise((resolve) => setTimeout(resolve, 30_000).unref());
          }
        }
      };

      return {
        activities: {
          ...createBillingActivities({
            repository,
            payments: createSandboxGateway({
              payments: repository.payments,
              failureRate: config.payments.sandboxFailureRate,
              latencyMs: config.payments.sandboxLatencyMs,
            }),
            mailer: createOutboxMailer({
              outbox: repository.outbox,
              ...(courier ? { courier } : {}),
            }),
            loyalty: createLoyaltyNotifier(client.workflow),
            // Served on the metrics endpoint when there is one; counted into nothing otherwise.
            metrics: createBillingMetrics(metricMeter),
          }),
          ...createReconciliationActivities({ repository, workflows: client.workflow }),
        },
        start: () => courier?.start(OUTBOX_SWEEP_MS),
        polling: () => void keepScheduleCurrent(),
        stop: async () => courier?.stop(),
        close: () => clientConnection.close(),
      };
    },
    createWorker: createBillingWorker,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
