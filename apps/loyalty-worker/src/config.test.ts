import { loadConfig } from './config';

describe('loadConfig (loyalty-worker)', () => {
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
      smtp: undefined,
    });
  });

  it('serves /healthz and /readyz only when HEALTH_PORT is set, on 127.0.0.1 by default', () => {
    expect(loadConfig({ HEALTH_PORT: '9464' }).health).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ HEALTH_PORT: '8080', HEALTH_HOST: '0.0.0.0' }).health).toEqual({
      host: '0.0.0.0',
      port: 8080,
    });
  });

  it('lists every invalid variable in one error', () => {
    expect(() =>
      loadConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0', WORKER_SHUTDOWN_GRACE_MS: 'soon' }),
    ).toThrow(/WORKER_MAX_CONCURRENT_ACTIVITIES[\s\S]*WORKER_SHUTDOWN_GRACE_MS/);
  });
});
