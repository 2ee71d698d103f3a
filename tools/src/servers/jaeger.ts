import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ProcessSpec } from './process-spec';

export interface JaegerPorts {
  /** The UI and the query HTTP API (`/api/traces`, `/api/v3/traces`). */
  readonly ui: number;
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
}

export interface JaegerOptions {
  readonly jaegerPath: string;
  /** The Jaeger UI's production build (index.html and static/). */
  readonly uiAssets: string;
  readonly ports: JaegerPorts;
  /** Its generated config lives here; traces are kept in memory only. */
  readonly dataDir: string;
  /** Traces kept before the oldest are dropped. */
  readonly maxTraces?: number;
}

/**
 * The query service's gRPC port, which Jaeger always opens: one below the UI's, as in Jaeger's own
 * defaults (16685, 16686), so that moving the UI moves both.
 */
export function jaegerQueryGrpcPort(ports: JaegerPorts): number {
  return ports.ui - 1;
}

/**
 * Jaeger v2's config (an OpenTelemetry Collector config): OTLP over gRPC and HTTP in, in-memory
 * storage, the query service with the UI, every listener on 127.0.0.1. The collector's own
 * metrics endpoint (8888 by default) is off: nothing here scrapes it, and it would be one more
 * port to clash.
 */
export function jaegerConfig(options: Omit<JaegerOptions, 'jaegerPath' | 'dataDir'>): string {
  const { ports } = options;
  const at = (port: number) => `127.0.0.1:${port}`;
  return stringify({
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['batch'],
          exporters: ['jaeger_storage_exporter'],
        },
      },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: { level: 'none' },
        logs: { level: 'warn' },
      },
    },
    extensions: {
      jaeger_storage: {
        backends: { memory_store: { memory: { max_traces: options.maxTraces ?? 100_000 } } },
      },
      jaeger_query: {
        storage: { traces: 'memory_store' },
        ui: { assets_path: options.uiAssets },
        http: { endpoint: at(ports.ui) },
        grpc: { endpoint: at(jaegerQueryGrpcPort(ports)) },
        // On by default in v2: the query service would trace its own requests (the UI's, the
        // readiness probe's) and export them over OTLP/gRPC to localhost:4317 — noise in the list
        // of services, and connection errors in the log when the receiver listens elsewhere.
        enable_tracing: false,
      },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: at(ports.otlpGrpc) },
          http: { endpoint: at(ports.otlpHttp) },
        },
      },
    },
    // Small batches, sent soon: a span shows in the UI within a second of its export.
    processors: { batch: { timeout: '200ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memory_store' } },
  });
}

/** True once the query API answers: the UI, the API and (started before them) the receivers. */
async function queryAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Describes the Jaeger process of `npm start -- --traces`. */
export function localJaeger(options: JaegerOptions): ProcessSpec {
  mkdirSync(options.dataDir, { recursive: true });
  const configFile = join(options.dataDir, 'config.yaml');
  writeFileSync(configFile, jaegerConfig(options));
  const { ports } = options;
  return {
    name: 'jaeger',
    command: options.jaegerPath,
    args: ['--config', `file:${configFile}`],
    ports: [
      { port: ports.ui, role: 'Jaeger UI and query API', variable: 'JAEGER_UI_PORT' },
      {
        port: jaegerQueryGrpcPort(ports),
        role: 'Jaeger query gRPC (the UI port − 1)',
        variable: 'JAEGER_UI_PORT',
      },
      { port: ports.otlpGrpc, role: 'OTLP/gRPC receiver', variable: 'JAEGER_OTLP_GRPC_PORT' },
      { port: ports.otlpHttp, role: 'OTLP/HTTP receiver', variable: 'JAEGER_OTLP_HTTP_PORT' },
    ],
    ready: {
      description: `GET http://127.0.0.1:${ports.ui}/api/services → 200`,
      check: () => queryAnswers(`http://127.0.0.1:${ports.ui}/api/services`),
      timeoutMs: 30_000,
      intervalMs: 250,
    },
    stopTimeoutMs: 5_000,
    // Its version banner (empty in a module build), and a warning printed at every start although
    // `ui.assets_path` serves the real UI: the binary checks its embedded placeholder first.
    quiet: /ui assets not embedded in the binary|application version: git-commit=/,
  };
}
