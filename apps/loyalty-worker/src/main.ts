import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOW_SOURCES } from '@invincible/workflows';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
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

  // The build puts the prebuilt bundle next to main.js; from source, the worker bundles at start.
  const bundlePath = config.workflowBundlePath ?? join(__dirname, 'workflow-bundle.js');
  const workflows: WorkflowSource = existsSync(bundlePath)
    ? { bundlePath }
    : { workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty) };

  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await createLoyaltyWorker({
      connection,
      namespace: config.temporal.namespace,
      workflows,
      tuning: config.tuning,
    });
    logger.info(
      { taskQueue: worker.options.taskQueue, workflows, tuning: config.tuning },
      'worker polling',
    );
    // Resolves after SIGINT/SIGTERM: polling stops, in-flight tasks get the shutdown grace time.
    await worker.run();
  } finally {
    await connection.close();
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
