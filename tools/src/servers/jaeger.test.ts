import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { jaegerConfig, jaegerQueryGrpcPort, localJaeger } from './jaeger';

const ports = { ui: 26686, otlpGrpc: 24317, otlpHttp: 24318 };

describe('jaegerConfig', () => {
  const config = parse(jaegerConfig({ uiAssets: '/cache/jaeger-ui/build', ports })) as {
    service: {
      extensions: string[];
      pipelines: { traces: { receivers: string[]; exporters: string[] } };
      telemetry: { metrics: { level: string } };
    };
    extensions: Record<string, Record<string, unknown>>;
    receivers: { otlp: { protocols: Record<string, { endpoint: string }> } };
    exporters: Record<string, { trace_storage: string }>;
  };

  it('receives OTLP over gRPC and HTTP on 127.0.0.1, on the given ports', () => {
    expect(config.receivers.otlp.protocols).toEqual({
      grpc: { endpoint: '127.0.0.1:24317' },
      http: { endpoint: '127.0.0.1:24318' },
    });
    expect(config.service.pipelines.traces.receivers).toEqual(['otlp']);
  });

  it('keeps traces in memory and queries that same store', () => {
    const store = config.exporters['jaeger_storage_exporter']?.trace_storage;
    expect(config.extensions['jaeger_storage']).toEqual({
      backends: { [String(store)]: { memory: { max_traces: 100_000 } } },
    });
    expect(config.extensions['jaeger_query']?.['storage']).toEqual({ traces: store });
    expect(config.service.pipelines.traces.exporters).toEqual(['jaeger_storage_exporter']);
  });

  it('serves the UI from the given build, query HTTP and gRPC on 127.0.0.1', () => {
    expect(config.extensions['jaeger_query']).toMatchObject({
      ui: { assets_path: '/cache/jaeger-ui/build' },
      http: { endpoint: '127.0.0.1:26686' },
      grpc: { endpoint: '127.0.0.1:26685' },
    });
    expect(jaegerQueryGrpcPort(ports)).toBe(26685);
  });

  it('opens no other listener: no collector metrics endpoint, no extension beyond storage and query', () => {
    expect(config.service.telemetry.metrics).toEqual({ level: 'none' });
    // Nor does it trace itself (it would export to localhost:4317, whatever the receiver's port).
    expect(config.extensions['jaeger_query']?.['enable_tracing']).toBe(false);
    expect(config.service.extensions).toEqual(['jaeger_storage', 'jaeger_query']);
    const endpoints = [...JSON.stringify(config).matchAll(/"endpoint":"([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(endpoints.sort()).toEqual(
      ['127.0.0.1:24317', '127.0.0.1:24318', '127.0.0.1:26685', '127.0.0.1:26686'].sort(),
    );
  });
});

describe('localJaeger', () => {
  it('writes its config into the data directory and declares its four ports', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'invincible-jaeger-spec-'));
    try {
      const spec = localJaeger({
        jaegerPath: '/cache/jaeger/bin/jaeger',
        uiAssets: '/cache/jaeger-ui/build',
        ports,
        dataDir,
      });
      expect(spec.command).toBe('/cache/jaeger/bin/jaeger');
      expect(spec.args).toEqual(['--config', `file:${join(dataDir, 'config.yaml')}`]);
      expect(readFileSync(join(dataDir, 'config.yaml'), 'utf8')).toBe(
        jaegerConfig({ uiAssets: '/cache/jaeger-ui/build', ports }),
      );
      expect(spec.ports?.map((p) => [p.port, p.variable])).toEqual([
        [26686, 'JAEGER_UI_PORT'],
        [26685, 'JAEGER_UI_PORT'],
        [24317, 'JAEGER_OTLP_GRPC_PORT'],
        [24318, 'JAEGER_OTLP_HTTP_PORT'],
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
