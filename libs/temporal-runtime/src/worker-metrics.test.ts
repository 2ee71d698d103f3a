import { workerMetricsUrl, workerTelemetryOptions } from './worker-metrics';

describe('workerTelemetryOptions', () => {
  it('binds Prometheus where asked and tags every metric with the app', () => {
    expect(workerTelemetryOptions({ host: '127.0.0.1', port: 9464 }, 'billing-worker')).toEqual({
      metrics: {
        prometheus: { bindAddress: '127.0.0.1:9464' },
        globalTags: { app: 'billing-worker' },
      },
    });
    expect(workerMetricsUrl({ host: '0.0.0.0', port: 9464 })).toBe('http://0.0.0.0:9464/metrics');
  });

  it('brackets an IPv6 host', () => {
    expect(
      workerTelemetryOptions({ host: '::', port: 9464 }, 'loyalty-worker').metrics.prometheus,
    ).toEqual({ bindAddress: '[::]:9464' });
    expect(workerMetricsUrl({ host: '::1', port: 9465 })).toBe('http://[::1]:9465/metrics');
  });
});
