import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { metricsEndpointError, workerMetricsUrl, workerTelemetryOptions } from './worker-metrics';

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

describe('metricsEndpointError', () => {
  let taken: Server;
  let port = 0;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it("turns the SDK's refusal of a port in use into a line naming the setting and the address", () => {
    // Runtime.install runs once per process: a child process installs it on the taken port.
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { Runtime } = require('@temporalio/worker');
         const { metricsEndpointError, workerTelemetryOptions } = require(${JSON.stringify(require.resolve('./worker-metrics'))});
         const endpoint = { host: '127.0.0.1', port: ${port} };
         try { Runtime.install({ telemetryOptions: workerTelemetryOptions(endpoint, 'test') }); console.log('installed'); }
         catch (error) { console.log(metricsEndpointError(error, endpoint).message); }`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stdout.trim()).toBe(
      `WORKER_METRICS_PORT/WORKER_METRICS_HOST: 127.0.0.1:${port} is in use (another process, or another worker on this host, serves there); set another port, or unset WORKER_METRICS_PORT to serve no metrics`,
    );
  });

  it('returns any other error as it is', () => {
    const other = new Error('Runtime already installed');
    expect(metricsEndpointError(other, { host: '127.0.0.1', port: 9464 })).toBe(other);
  });
});
