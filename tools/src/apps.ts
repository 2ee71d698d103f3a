import { join } from 'node:path';
import { BILLING_TASK_QUEUE, LOYALTY_TASK_QUEUE } from '@invincible/workflows';
import { Connection } from '@temporalio/client';
import { REPO_ROOT } from './paths';
import type { ProcessSpec } from './servers/process-spec';
import type { Endpoints } from './stack';

/**
 * Every worker app the local stack runs, with the task queue whose poller tells it is ready.
 * `nx g @invincible/nx-plugin:domain` adds its worker here; the stack's app list follows.
 */
const WORKER_TASK_QUEUES = {
  'billing-worker': BILLING_TASK_QUEUE,
  'loyalty-worker': LOYALTY_TASK_QUEUE,
} as const;

export type WorkerName = keyof typeof WORKER_TASK_QUEUES;
export type AppName = 'api' | WorkerName;

/** Every worker app, in the order the stack starts them. */
export const STACK_WORKERS = Object.keys(WORKER_TASK_QUEUES) as readonly WorkerName[];

/** The task queue `worker` polls (its readiness: a poller there). */
export function workerTaskQueue(worker: WorkerName): string {
  return WORKER_TASK_QUEUES[worker];
}

/**
 * What `npm start` runs, started in this order, each once ready: the workers first, since each
 * registers the workflows' search attributes in the namespace before it polls, and the API is not
 * ready without them (a namespace of `TEMPORAL_NAMESPACE` made just before has none). Stopped in
 * reverse: the API stops taking requests before the workers go.
 */
export const STACK_APPS: readonly AppName[] = [...STACK_WORKERS, 'api'];

/** True once at least one worker polls `taskQueue` for workflow tasks. */
export async function taskQueueHasPollers(
  address: string,
  namespace: string,
  taskQueue: string,
  options: Endpoints['temporalConnection'] = {},
): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, address, connectTimeout: 2_000 });
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return pollers.length > 0;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** True once `url` answers 200. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** The environment every app gets from the supervisor: where Temporal and the database are. */
export function appEnv(endpoints: Endpoints, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    TEMPORAL_ADDRESS: endpoints.temporalAddress,
    TEMPORAL_NAMESPACE: endpoints.temporalNamespace,
    ...(endpoints.cassandraContactPoints
      ? {
          CASSANDRA_CONTACT_POINTS: endpoints.cassandraContactPoints,
          CASSANDRA_LOCAL_DATA_CENTER: endpoints.cassandraLocalDataCenter,
          // A local cluster's keyspace is replicated to 3 nodes (on 127.0.0.x the apps' default
          // is the single node's 1); a replication factor given in the environment wins.
          ...(endpoints.cassandraReplicationFactor && !env['CASSANDRA_REPLICATION_FACTOR']
            ? { CASSANDRA_REPLICATION_FACTOR: String(endpoints.cassandraReplicationFactor) }
            : {}),
        }
      : {}),
  };
}

/**
 * The standard OpenTelemetry variables that send `app`'s traces to the local Jaeger (the apps
 * read them at start): OTLP over HTTP with protobuf bodies, and the app's name as its service.
 */
export function tracingEnv(app: AppName, otlpHttpEndpoint: string): NodeJS.ProcessEnv {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpHttpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_SERVICE_NAME: app,
  };
}

/** Node arguments that run `app` from its TypeScript source, as `npm start` does. */
export function appSourceArgs(app: AppName): string[] {
  return [
    '--conditions=@invincible/source',
    '--import',
    'tsx',
    join(REPO_ROOT, 'apps', app, 'src', 'main.ts'),
  ];
}

/**
 * An app run from its TypeScript source (development): `node --conditions=@invincible/source
 * --import tsx apps/<app>/src/main.ts`, so edits need no build step.
 */
export function devApp(
  app: AppName,
  endpoints: Endpoints,
  env: NodeJS.ProcessEnv,
  apiPort: number,
): ProcessSpec {
  const base = {
    name: app,
    command: process.execPath,
    args: appSourceArgs(app),
    cwd: REPO_ROOT,
    stopTimeoutMs: 35_000,
  };
  const withEnv = {
    // The apps write to the supervisor's pipe, not a terminal: readable lines when the
    // supervisor itself prints to one (a developer's `npm start`), JSON otherwise.
    LOG_FORMAT: process.stdout.isTTY ? 'pretty' : 'json',
    ...appEnv(endpoints, env),
    ...(endpoints.traces ? tracingEnv(app, endpoints.traces.otlpHttpEndpoint) : {}),
  };
  if (app === 'api') {
    return {
      ...base,
      env: { ...withEnv, PORT: String(apiPort), HOST: '127.0.0.1' },
      ports: [{ port: apiPort, role: 'API (HTTP)', variable: 'API_PORT' }],
      ready: {
        description: `GET http://127.0.0.1:${apiPort}/readyz → 200`,
        check: () => httpOk(`http://127.0.0.1:${apiPort}/readyz`),
        timeoutMs: 60_000,
      },
    };
  }
  const taskQueue = WORKER_TASK_QUEUES[app];
  return {
    ...base,
    env: withEnv,
    ready: {
      description: `a poller on task queue "${taskQueue}"`,
      check: () =>
        taskQueueHasPollers(
          endpoints.temporalAddress,
          endpoints.temporalNamespace,
          taskQueue,
          endpoints.temporalConnection,
        ),
      timeoutMs: 90_000,
    },
  };
}
