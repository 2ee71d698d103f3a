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
