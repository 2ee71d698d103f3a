import { context, trace, type Span } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { startTracingSdk } from './tracing-sdk';

/**
 * Traces, the OpenTelemetry way: the standard `OTEL_*` variables decide everything, so a
 * collector, Jaeger, Honeycomb or Grafana is a matter of configuration.
 *
 * - On when `OTEL_TRACES_EXPORTER` is `otlp` or `console`, or when it is unset and an OTLP
 *   endpoint is (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); off with
 *   `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Off costs nothing: no provider, no
 *   patched modules.
 * - OTLP over `http/protobuf` (the specification's default), `http/json` or `grpc`
 *   (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`); endpoint, headers,
 *   timeout and batching (`OTEL_BSP_*`) are read by the SDK itself; so is the sampler
 *   (`OTEL_TRACES_SAMPLER`, default parent-based always-on).
 * - The resource: `OTEL_SERVICE_NAME` (default: the app's name), `OTEL_RESOURCE_ATTRIBUTES`,
 *   the host and the process.
 */
export type TracingSettings =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly exporter: 'otlp' | 'console';
      readonly protocol: OtlpProtocol;
      readonly serviceName: string | undefined;
    };

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

export type TracingSettingsResult =
  | { readonly ok: true; readonly settings: TracingSettings }
  | { readonly ok: false; readonly issues: readonly string[] };

/** Reads the tracing part of the standard `OTEL_*` variables; lists every bad value. */
export function tracingSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): TracingSettingsResult {
  const issues: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const disabled = value('OTEL_SDK_DISABLED');
  if (disabled !== undefined && !['true', 'false'].includes(disabled.toLowerCase())) {
    issues.push(`OTEL_SDK_DISABLED: true or false, not ${JSON.stringify(disabled)}`);
  }
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  for (const name of exporters) {
    if (!['otlp', 'console', 'none'].includes(name)) {
      issues.push(`OTEL_TRACES_EXPORTER: otlp, console or none, not ${JSON.stringify(name)}`);
    }
  }
  if (exporters.length > 1) {
    issues.push(
      `OTEL_TRACES_EXPORTER: one exporter (otlp, console or none), not ${exporters.join(',')}`,
    );
  }
  const protocolName =
    value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined
      ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(protocolName) ?? 'http/protobuf';
  if (!PROTOCOLS.includes(protocol as OtlpProtocol)) {
    issues.push(`${protocolName}: ${PROTOCOLS.join(', ')}, not ${JSON.stringify(protocol)}`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const endpoint = value(name);
    if (endpoint !== undefined && !URL.canParse(endpoint)) {
      issues.push(`${name}: a URL such as http://127.0.0.1:4318, not ${JSON.stringify(endpoint)}`);
    }
  }
  if (issues.length > 0) return { ok: false, issues };

  const endpointSet =
    value('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;
  const exporter = exporters[0] ?? (endpointSet ? 'otlp' : 'none');
  if (disabled?.toLowerCase() === 'true' || exporter === 'none') {
    return { ok: true, settings: { enabled: false } };
  }
  return {
    ok: true,
    settings: {
      enabled: true,
      exporter: exporter as 'otlp' | 'console',
      protocol: protocol as OtlpProtocol,
      serviceName: value('OTEL_SERVICE_NAME'),
    },
  };
}

/** A running tracer: what the Temporal interceptors and the workflow span sink need. */
export interface Tracing {
  readonly resource: Resource;
  /** Where finished spans go; the workers' workflow-span sink feeds it too. */
  readonly spanProcessor: SpanProcessor;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** The app's name: the service name unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  readonly settings: TracingSettings;
  /** Instead of the exporter the settings name (tests: an in-memory exporter, exported at once). */
  readonly exporter?: SpanExporter;
}

/**
 * Starts tracing for this process: the tracer provider (global, W3C trace context and baggage
 * propagation) and the instrumentations of what the apps use — HTTP in and out (the API's
 * requests), fetch (the Data API) and cassandra-driver (CQL). Call it before those modules are
 * first loaded — each app's `instrument.ts`, the first import of its `main.ts` — since the
 * instrumentations patch modules as they load. Returns undefined when tracing is off.
 *
 * The SDK (provider, exporters, instrumentations: about 110 ms of loading) is required here,
 * only when tracing is on, so that a process without it, or a tool importing this library, does
 * not pay for it.
 */
export function startTracing(options: StartTracingOptions): Tracing | undefined {
  if (!options.settings.enabled && options.exporter === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as { startTracingSdk: typeof startTracingSdk };
  return sdk.startTracingSdk(options);
}

/**
 * The active span's ids, for log lines (pino's `mixin`): `trace_id` and `span_id`, the names
 * OpenTelemetry's log data model uses, so a log search finds a trace and a trace its logs.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span: Span | undefined = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Starts tracing as the environment says (see {@link tracingSettingsFromEnv}); for each app's
 * `instrument.ts`. Invalid settings start nothing here: the app's `loadConfig` reports them with
 * every other bad variable and the app stops.
 */
export function startTracingFromEnv(
  serviceName: string,
  env: Readonly<Record<string, string | undefined>>,
): Tracing | undefined {
  const read = tracingSettingsFromEnv(env);
  return read.ok ? startTracing({ serviceName, settings: read.settings }) : undefined;
}
