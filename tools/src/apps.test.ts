import { devApp, tracingEnv } from './apps';
import type { Endpoints } from './stack';

const where: Endpoints = {
  temporalAddress: '127.0.0.1:7233',
  temporalConnection: {},
  temporalNamespace: 'default',
  temporalUiUrl: 'http://127.0.0.1:8233',
  cassandraContactPoints: '127.0.0.1:9042',
  cassandraLocalDataCenter: 'datacenter1',
};

describe('the environment the supervisor gives each app', () => {
  it('points every app at the local Jaeger over OTLP/HTTP, named after the app, with traces on', () => {
    const traces = { uiUrl: 'http://127.0.0.1:16686', otlpHttpEndpoint: 'http://127.0.0.1:4318' };
    for (const app of ['api', 'billing-worker', 'loyalty-worker'] as const) {
      expect(devApp(app, { ...where, traces }, { PATH: '/usr/bin' }, 3000).env).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_SERVICE_NAME: app,
        TEMPORAL_ADDRESS: '127.0.0.1:7233',
        PATH: '/usr/bin',
      });
    }
    expect(tracingEnv('api', 'http://127.0.0.1:24318')).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:24318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'api',
    });
  });

  it('adds no OTEL_* variable with traces off, and passes on those the developer set', () => {
    const env = devApp('billing-worker', where, { OTEL_SERVICE_NAME: 'mine' }, 3000).env ?? {};
    expect(Object.keys(env).filter((k) => k.startsWith('OTEL_'))).toEqual(['OTEL_SERVICE_NAME']);
    expect(env['OTEL_SERVICE_NAME']).toBe('mine');
  });
});
