/** Where a worker serves Prometheus' `/metrics`. */
export interface WorkerMetricsEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The `telemetryOptions` of `Runtime.install` that serve a worker's metrics. */
export interface WorkerTelemetryOptions {
  readonly metrics: {
    readonly prometheus: { readonly bindAddress: string };
    readonly globalTags: Readonly<Record<string, string>>;
  };
}

/** `host:port`, with an IPv6 host in brackets. */
function hostPort({ host, port }: WorkerMetricsEndpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Telemetry options for `Runtime.install` that serve Prometheus' `/metrics` on `endpoint`, from
 * the SDK's core: Temporal's own worker metrics (`temporal_*`: task slots, schedule-to-start
 * latencies, sticky cache, poll and request counts) and every metric made on
 * `Runtime.instance().metricMeter` (the app's `invincible_*` counters), each tagged
 * `app=<app>`. The SDK's defaults are kept otherwise: histograms in milliseconds, no `_total`
 * suffix added to Temporal's counters — the shape of Temporal's SDK metrics reference.
 *
 * @example
 * ```ts
 * Runtime.install({ logger, telemetryOptions: workerTelemetryOptions(config.metrics, 'billing-worker') });
 * ```
 */
export function workerTelemetryOptions(
  endpoint: WorkerMetricsEndpoint,
  app: string,
): WorkerTelemetryOptions {
  return {
    metrics: { prometheus: { bindAddress: hostPort(endpoint) }, globalTags: { app } },
  };
}

/** The URL a scraper reads, for the start-up log. */
export function workerMetricsUrl(endpoint: WorkerMetricsEndpoint): string {
  return `http://${hostPort(endpoint)}/metrics`;
}

/**
 * The error to stop a worker with when `Runtime.install` could not serve its metrics: the SDK's
 * own text ("Failed to start prometheus metrics exporter: Address already in use (os error 98)")
 * names neither the address nor the setting, so this says which and what to do. Any other error
 * is returned as it is.
 */
export function metricsEndpointError(error: unknown, endpoint: WorkerMetricsEndpoint): unknown {
  const message = error instanceof Error ? error.message : '';
  if (!/prometheus/i.test(message)) return error;
  const reason = /in use/i.test(message)
    ? 'is in use (another process, or another worker on this host, serves there)'
    : /cannot assign|not available|address not available/i.test(message)
      ? 'is not an address of this host'
      : `cannot be served (${message})`;
  return new Error(
    `WORKER_METRICS_PORT/WORKER_METRICS_HOST: ${hostPort(endpoint)} ${reason}; set another port, or unset WORKER_METRICS_PORT to serve no metrics`,
    { cause: error },
  );
}
