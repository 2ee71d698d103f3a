import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FrontendTls } from '../config';
import type { ProcessSpec } from './process-spec';

export interface TemporalUiOptions {
  readonly uiServer: string;
  /** The frontend the UI talks to over gRPC. */
  readonly temporalAddress: string;
  readonly port: number;
  readonly namespace: string;
  /** The frontend's TLS, as the UI server's client side: its CA, server name and certificate. */
  readonly tls?: FrontendTls['client'] | undefined;
  /** The remote codec endpoint the UI decodes payloads with. */
  readonly codecEndpoint?: string | undefined;
  /** The UI server's generated config lives here. */
  readonly dataDir: string;
}

/** The UI server's config (its own YAML format, like its config/development.yaml). */
export function temporalUiConfig(options: Omit<TemporalUiOptions, 'uiServer' | 'dataDir'>): string {
  return stringify({
    temporalGrpcAddress: options.temporalAddress,
    host: '127.0.0.1',
    port: options.port,
    publicPath: '',
    enableUi: true,
    defaultNamespace: options.namespace,
    showTemporalSystemNamespace: false,
    notifyOnNewVersion: false,
    refreshInterval: '1m',
    // No access log: every request of the browser would be a line in the stack's terminal.
    hideLogs: true,
    cors: { cookieInsecure: true, unsafeAllowAllOrigins: false },
    ...(options.codecEndpoint
      ? {
          codec: {
            endpoint: options.codecEndpoint,
            passAccessToken: false,
            includeCredentials: false,
          },
        }
      : {}),
    ...(options.tls
      ? {
          tls: {
            ...(options.tls.serverCaFile ? { caFile: options.tls.serverCaFile } : {}),
            ...(options.tls.certFile ? { certFile: options.tls.certFile } : {}),
            ...(options.tls.keyFile ? { keyFile: options.tls.keyFile } : {}),
            serverName: options.tls.serverName,
            enableHostVerification: true,
          },
        }
      : {}),
  });
}

/** True once the UI server answers its index page. */
async function uiAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The Temporal Web UI beside a Temporal server that has none of its own (the server on
 * Cassandra; the CLI's dev server embeds the same UI version).
 */
export function localTemporalUi(options: TemporalUiOptions): ProcessSpec {
  const configDir = join(options.dataDir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'invincible.yaml'), temporalUiConfig(options));
  return {
    name: 'temporal-ui',
    command: options.uiServer,
    args: ['--root', options.dataDir, '--config', 'config', '--env', 'invincible', 'start'],
    ports: [{ port: options.port, role: 'Temporal Web UI', variable: 'TEMPORAL_UI_PORT' }],
    ready: {
      description: `Web UI on http://127.0.0.1:${options.port}`,
      check: () => uiAnswers(`http://127.0.0.1:${options.port}/`),
      timeoutMs: 30_000,
      intervalMs: 250,
    },
    stopTimeoutMs: 5_000,
    // Its start-up chatter (config files, the web framework's banner) says nothing a developer
    // needs; lines about errors still show.
    quiet: /^(?!.*(error|fatal|panic|unable)).*$/i,
  };
}
