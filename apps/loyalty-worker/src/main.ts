// First: tracing patches fetch and cassandra-driver as they load.
import { tracing } from './instrument';
import { join } from 'node:path';
import {
  createLoyaltyActivities,
  createLoyaltyMetrics,
  createOutboxMailer,
  createSmtpDeliver,
} from '@invincible/activities';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import { SEARCH_ATTRIBUTE_KEYS, WORKFLOW_SOURCES } from '@invincible/workflows';
import { runWorker } from '@invincible/temporal-runtime';
import { createLoyaltyWorker } from './loyalty-worker';
import { loadConfig } from './config';

/**
 * The composition root: the only place that reads the environment. What every worker does
 * (runtime, health, connection, shutdown) is runWorker's; this holds what is loyalty's.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const repository = createRepository(config.repository);
  await runWorker({
    service: 'loyalty-worker',
    config,
    tracing,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    // The build puts the prebuilt bundle next to main.js; from source, the worker bundles at start.
    workflows: {
      bundlePath: config.workflowBundlePath ?? join(__dirname, 'workflow-bundle.js'),
      workflowsPath: () => require.resolve(WORKFLOW_SOURCES.loyalty),
    },
    repository,
    migrate: config.migrateOnStart ? (options) => migrateUntilDone(repository, options) : undefined,
    setup: ({ metricMeter }) => {
      const deliver = config.smtp ? createSmtpDeliver(config.smtp) : undefined;
      return {
        activities: createLoyaltyActivities({
          repository,
          mailer: createOutboxMailer({
            outbox: repository.outbox,
            ...(deliver ? { deliver } : {}),
          }),
          // Served on the metrics endpoint when there is one; counted into nothing otherwise.
          metrics: createLoyaltyMetrics(metricMeter),
        }),
      };
    },
    createWorker: createLoyaltyWorker,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
