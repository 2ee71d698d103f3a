// First: tracing patches http, fetch and cassandra-driver as they load.
import { tracing } from './instrument';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createRepository, migrateUntilDone } from '@invincible/astra-repo';
import {
  createAppLogger,
  missingSearchAttributes,
  tracingClientInterceptors,
} from '@invincible/temporal-runtime';
import { SEARCH_ATTRIBUTE_KEYS } from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { createApp, metricsHandler } from './app';
import { createMetrics } from './http/metrics';
import { loadConfig } from './config';
import { createHttpServer } from './http/http-server';

/** The composition root: the only place that reads the environment, connects, listens or exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Pretty at a terminal, JSON for collectors; inside a span, each line carries its trace ids.
  const logger = createAppLogger({
    service: 'api',
    level: config.logLevel,
    format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    tracing,
  });

  // Lazy: the API starts (and reports not-ready) even while Temporal is still coming up.
  const connection = Connection.lazy(config.temporal.connectionOptions);
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    // A span per start, Update and query; its context travels to the workflow in the headers.
    interceptors: tracingClientInterceptors(),
    // Inputs, signals, Updates, results and memos leave this process encrypted, if keys are set.
    ...(config.payloadCodec ? { dataConverter: { payloadCodecs: [config.payloadCodec] } } : {}),
  });
  // Outside production, without API_KEYS: a full key of the development tenant for this run,
  // printed once. In production, keys are stored ones (`npm run keys`) or API_KEYS.
  const apiKeys =
    config.apiKeys.length > 0 || config.production
      ? config.apiKeys
      : [{ name: 'dev', secret: `dev_${randomBytes(24).toString('hex')}` }];
  if (apiKeys !== config.apiKeys) {
    logger.warn(
      { apiKey: apiKeys[0]?.secret },
      'API_KEYS not set: generated a development API key',
    );
  }
  const repository = createRepository(config.repository);
  // The schema is migrated in the background, retried until the database answers: the API
  // listens at once and reports `database` not ready until then, instead of crash-looping.
  let schemaReady = !config.migrateOnStart;
  let stopping = false;
  if (config.migrateOnStart) {
    void migrateUntilDone(repository, {
      onRetry: (error) => logger.warn({ err: error }, 'schema migration failed; retrying in 5 s'),
      stopped: () => stopping,
    }).then(
      (done) => {
        schemaReady = done;
        if (done) logger.info({ backend: repository.backend }, 'schema up to date');
      },
      (error: unknown) => {
        // The database refused the schema for good: stop with its reason, never retry forever.
        logger.fatal({ err: error }, 'schema migration refused');
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  }

  let searchAttributesListed = false;
  const metrics = createMetrics();
  const app = createApp({
    logger,
    temporal,
    repository,
    metrics,
    apiKeys,
    devTenant: { id: config.apiKeysTenant, test: !config.production },
    adminKeys: config.adminKeys,
    // Outside production without SIGNING_SECRET, createApp makes one for this run.
    ...(config.signingSecret ? { signingSecret: config.signingSecret } : {}),
    metricsAccess: config.metricsAccess,
    publicDocs: config.publicDocs,
    keyCacheTtlMs: config.keyCacheTtlMs,
    rateLimitPerMinute: config.rateLimitPerMinute,
    // Shared by every replica: the repository's counters (Cassandra or Astra).
    rateLimits: repository.rateLimits,
    ...(config.payloadCodec ? { payloadCodec: config.payloadCodec } : {}),
    codecCorsOrigins: config.codecCorsOrigins,
    ...(config.console
      ? { console: { ...config.console, namespace: config.temporal.namespace } }
      : {}),
    unauthenticatedLimitPerMinute: config.unauthenticatedLimitPerMinute,
    limits: config.limits,
    draining: () => stopping,
    queryTimeoutMs: config.queryTimeoutMs,
    updateTimeoutMs: config.updateTimeoutMs,
    readiness: {
      temporal: async () => {
        await connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({}));
      },
      // Every start and Update names them: until a worker (or an operator) registered them in
      // the namespace, each would fail. Once all are listed, they stay: not asked again.
      searchAttributes: async () => {
        if (searchAttributesListed) return;
        const missing = await connection.withDeadline(Date.now() + 2_000, () =>
          missingSearchAttributes(
            connection.operatorService,
            config.temporal.namespace,
            SEARCH_ATTRIBUTE_KEYS,
          ),
        );
        if (missing.length > 0) throw new Error(`not registered: ${missing.join(', ')}`);
        searchAttributesListed = true;
      },
      database: async () => {
        await repository.ping();
        if (!schemaReady) throw new Error('schema not migrated yet');
      },
    },
  });

  const server: Server = createHttpServer(app, config.http);
  server.listen(config.http.port, config.http.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  logger.info({ url: `http://${config.http.host}:${port}` }, 'api listening');
  // `/metrics` alone on its own port: for a scraper on a network clients cannot reach.
  const metricsServer =
    config.metricsPort === null
      ? null
      : express()
          .disable('x-powered-by')
          .get('/metrics', metricsHandler(metrics))
          .listen(config.metricsPort, config.http.host);
  metricsServer?.once('listening', () => {
    logger.info(
      { url: `http://${config.http.host}:${config.metricsPort}/metrics` },
      'metrics listening',
    );
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    // Not ready from now on (/readyz answers 503 at once); keep listening and serving for
    // SHUTDOWN_DELAY_MS so a load balancer sees it and stops routing, then stop accepting.
    stopping = true;
    logger.info(
      { signal, delayMs: config.http.shutdownDelayMs },
      'shutting down: not ready; finishing in-flight requests',
    );
    if (config.http.shutdownDelayMs > 0)
      await new Promise((resolve) => setTimeout(resolve, config.http.shutdownDelayMs));
    const force = setTimeout(() => server.closeAllConnections(), config.http.shutdownTimeoutMs);
    server.closeIdleConnections();
    metricsServer?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(force);
    // The last requests' spans are exported before the process ends.
    await Promise.allSettled([connection.close(), repository.close(), tracing?.shutdown()]);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));
}

main().catch((error: unknown) => {
  // A start-up failure (bad config, port taken) is one clear line, not a crash loop of stacks.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
