import { loadConfig } from './config';

describe('loadConfig (billing-worker)', () => {
  it('sets explicit tuning defaults and bundles from source unless a bundle path is given', () => {
    expect(loadConfig({})).toEqual({
      logLevel: 'info',
      temporal: {
        connectionOptions: { address: 'localhost:7233' },
        namespace: 'default',
        summary: 'localhost:7233, namespace default, plaintext',
      },
      payloadCodec: undefined,
      workflowBundlePath: undefined,
      tuning: {
        maxConcurrentActivityTaskExecutions: 100,
        maxConcurrentWorkflowTaskExecutions: 40,
        maxCachedWorkflows: 1_000,
        shutdownGraceTimeMs: 30_000,
      },
      repository: {
        backend: 'cassandra',
        contactPoints: ['127.0.0.1:9042'],
        localDataCenter: 'datacenter1',
        keyspace: 'invincible',
        replicationFactor: 1,
      },
      migrateOnStart: true,
      health: undefined,
      payments: { sandboxFailureRate: 0, sandboxLatencyMs: 0 },
      smtp: undefined,
      reconcile: { intervalMs: 3_600_000, outboxPendingBoundMs: 900_000, graceMs: 900_000 },
    });
  });

  it('reads the reconcile schedule: durations, and 0 or off to pause it', () => {
    expect(
      loadConfig({
        RECONCILE_INTERVAL: '15m',
        RECONCILE_OUTBOX_BOUND: '2h',
        RECONCILE_GRACE: '90s',
      }).reconcile,
    ).toEqual({ intervalMs: 900_000, outboxPendingBoundMs: 7_200_000, graceMs: 90_000 });
    expect(loadConfig({ RECONCILE_INTERVAL: 'off' }).reconcile.intervalMs).toBeNull();
    expect(loadConfig({ RECONCILE_INTERVAL: '0' }).reconcile.intervalMs).toBeNull();
    expect(() => loadConfig({ RECONCILE_INTERVAL: '10s' })).toThrow(/RECONCILE_INTERVAL/);
    expect(() => loadConfig({ RECONCILE_INTERVAL: 'hourly' })).toThrow(/RECONCILE_INTERVAL/);
  });

  it('serves /healthz and /readyz only when HEALTH_PORT is set, on 127.0.0.1 by default', () => {
    expect(loadConfig({ HEALTH_PORT: '9464' }).health).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ HEALTH_PORT: '8080', HEALTH_HOST: '0.0.0.0' }).health).toEqual({
      host: '0.0.0.0',
      port: 8080,
    });
  });

  it('serves /metrics only when WORKER_METRICS_PORT is set, on 127.0.0.1 by default', () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '9464' }).metrics).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
    expect(
      loadConfig({ WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '0.0.0.0' }).metrics,
    ).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => loadConfig({ WORKER_METRICS_PORT: '0' })).toThrow(/WORKER_METRICS_PORT/);
    expect(() => loadConfig({ WORKER_METRICS_PORT: 'prometheus' })).toThrow(/WORKER_METRICS_PORT/);
    expect(() => loadConfig({ WORKER_METRICS_PORT: '8080', HEALTH_PORT: '8080' })).toThrow(
      'WORKER_METRICS_PORT: the same port as HEALTH_PORT; give each its own',
    );
  });

  it('keeps fixed slots by default; WORKER_TUNER=resource-based takes CPU and memory targets', () => {
    expect(loadConfig({}).tuning.resourceBased).toBeUndefined();
    expect(loadConfig({ WORKER_TUNER: 'fixed' }).tuning.resourceBased).toBeUndefined();
    expect(loadConfig({ WORKER_TUNER: 'resource-based' }).tuning).toEqual({
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxCachedWorkflows: 1_000,
      shutdownGraceTimeMs: 30_000,
      resourceBased: { targetCpuUsage: 0.8, targetMemoryUsage: 0.8 },
    });
    expect(
      loadConfig({
        WORKER_TUNER: 'resource-based',
        WORKER_TARGET_CPU: '0.6',
        WORKER_TARGET_MEMORY: '1',
      }).tuning.resourceBased,
    ).toEqual({ targetCpuUsage: 0.6, targetMemoryUsage: 1 });
  });

  it('refuses a tuner it does not know, targets outside (0, 1], and targets without the tuner', () => {
    expect(() => loadConfig({ WORKER_TUNER: 'auto' })).toThrow(/WORKER_TUNER/);
    expect(() =>
      loadConfig({
        WORKER_TUNER: 'resource-based',
        WORKER_TARGET_CPU: '80',
        WORKER_TARGET_MEMORY: '0',
      }),
    ).toThrow(/WORKER_TARGET_CPU: at most 1[\s\S]*WORKER_TARGET_MEMORY: a share above 0/);
    expect(() => loadConfig({ WORKER_TARGET_CPU: '0.5', WORKER_TARGET_MEMORY: '0.5' })).toThrow(
      /WORKER_TARGET_CPU: only with WORKER_TUNER=resource-based[\s\S]*WORKER_TARGET_MEMORY: only with/,
    );
  });

  it('lists every invalid variable in one error', () => {
    expect(() =>
      loadConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0', WORKER_SHUTDOWN_GRACE_MS: 'soon' }),
    ).toThrow(/WORKER_MAX_CONCURRENT_ACTIVITIES[\s\S]*WORKER_SHUTDOWN_GRACE_MS/);
  });
});
