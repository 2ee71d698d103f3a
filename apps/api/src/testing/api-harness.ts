import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createReconciliationActivities,
  createSandboxGateway,
} from '@invincible/activities';
import { createRepository, type MigratableRepository } from '@invincible/astra-repo';
import { BILLING_TASK_QUEUE, LOYALTY_TASK_QUEUE, WORKFLOW_SOURCES } from '@invincible/workflows';
import { createTimeSkippingEnv, requireTestEnv } from '@invincible/workflows/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps } from '../app';
import { OpenApiConformance } from './openapi-conformance';

export interface ApiHarness {
  readonly env: TestWorkflowEnvironment;
  readonly repository: MigratableRepository;
  /** Builds an app on this harness's Temporal and repository (overrides win). */
  app(overrides?: Partial<AppDeps>): ReturnType<typeof createApp>;
  /** The OpenAPI document of the default app, to check responses against. */
  readonly spec: OpenApiConformance;
  close(): Promise<void>;
}

/**
 * The API's integration-test bed: Temporal's time-skipping test server with the real billing and
 * loyalty workflows and activities, over a fresh keyspace of the shared test Cassandra. Apps are
 * built in process (supertest, no port).
 */
export async function startApiHarness(keyspace: string): Promise<ApiHarness> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = await createTimeSkippingEnv();
  const repository = createRepository({
    backend: 'cassandra',
    contactPoints: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS').split(','),
    localDataCenter: 'datacenter1',
    keyspace,
    replicationFactor: 1,
  });
  await repository.migrate();
  const mailer = createOutboxMailer({ outbox: repository.outbox });
  const workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: BILLING_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      activities: {
        ...createBillingActivities({
          repository,
          payments: createSandboxGateway({ payments: repository.payments }),
          mailer,
          loyalty: createLoyaltyNotifier(env.client.workflow),
        }),
        ...createReconciliationActivities({ repository, workflows: env.client.workflow }),
      },
    }),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({ repository, mailer }),
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const app = (overrides: Partial<AppDeps> = {}) =>
    createApp({
      logger: pino({ level: 'silent' }),
      temporal: env.client,
      repository,
      apiKeys: [],
      readiness: { database: () => repository.ping() },
      queryTimeoutMs: 10_000,
      ...overrides,
    });
  const document = (await request(app()).get('/openapi.json').expect(200)).body as object;
  return {
    env,
    repository,
    app,
    spec: new OpenApiConformance(document),
    async close() {
      for (const w of workers) w.shutdown();
      await running;
      await repository.close();
      await env.teardown();
    },
  };
}
