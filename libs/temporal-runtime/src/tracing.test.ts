import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, traceLogFields, tracingSettingsFromEnv } from './tracing';

describe('tracingSettingsFromEnv (the standard OTEL_* variables)', () => {
  it('is off unless an exporter or an OTLP endpoint is named', () => {
    expect(tracingSettingsFromEnv({})).toEqual({ ok: true, settings: { enabled: false } });
    expect(tracingSettingsFromEnv({ OTEL_SERVICE_NAME: 'api' })).toEqual({
      ok: true,
      settings: { enabled: false },
    });
  });

  it('an endpoint alone turns OTLP on, over http/protobuf (the specification default)', () => {
    expect(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toEqual({
      ok: true,
      settings: {
        enabled: true,
        exporter: 'otlp',
        protocol: 'http/protobuf',
        serviceName: undefined,
      },
    });
  });

  it('the traces-specific protocol wins over the general one; the service name is kept', () => {
    expect(
      tracingSettingsFromEnv({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'billing-eu',
      }),
    ).toMatchObject({
      ok: true,
      settings: { enabled: true, protocol: 'http/json', serviceName: 'billing-eu' },
    });
  });

  it('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn it off, endpoint or not', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettingsFromEnv({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toEqual({
      ok: true,
      settings: { enabled: false },
    });
    expect(tracingSettingsFromEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toEqual({
      ok: true,
      settings: { enabled: false },
    });
  });

  it('lists every bad value, each with what it accepts', () => {
    const result = tracingSettingsFromEnv({
      OTEL_SDK_DISABLED: 'yes',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'udp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318 ',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url',
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      'OTEL_SDK_DISABLED: true or false, not "yes"',
      'OTEL_TRACES_EXPORTER: otlp, console or none, not "zipkin"',
      'OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, http/json, grpc, not "udp"',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: a URL such as http://127.0.0.1:4318, not "not a url"',
    ]);
  });

  it('refuses two exporters at once', () => {
    const result = tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp,console' });
    expect(!result.ok && result.issues).toEqual([
      'OTEL_TRACES_EXPORTER: one exporter (otlp, console or none), not otlp,console',
    ]);
  });
});

describe('startTracing and traceLogFields', () => {
  it('off: nothing starts, and log lines carry no ids', () => {
    expect(startTracing({ serviceName: 'api', settings: { enabled: false } })).toBeUndefined();
    expect(traceLogFields()).toEqual({});
  });

  it('spans of the app go to the exporter, named by the service; log lines carry their ids', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({
      serviceName: 'api',
      settings: { enabled: false },
      exporter,
    });
    expect(tracing).toBeDefined();
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('POST /v1/subscriptions');
    const fields = context.with(trace.setSpan(context.active(), span), traceLogFields);
    span.end();
    await tracing?.spanProcessor.forceFlush();

    const [finished] = exporter.getFinishedSpans();
    expect(finished?.name).toBe('POST /v1/subscriptions');
    expect(finished?.resource.attributes['service.name']).toBe('api');
    expect(fields).toEqual({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(fields.trace_id).toMatch(/^[0-9a-f]{32}$/);
    await tracing?.shutdown();
  });
});
