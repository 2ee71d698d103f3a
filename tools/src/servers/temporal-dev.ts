import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { searchAttributeTypeName } from '@invincible/temporal-runtime';
import { SEARCH_ATTRIBUTE_KEYS } from '@invincible/workflows';
import { Connection } from '@temporalio/client';
import { grpc } from '@temporalio/proto';
import type { StackConfig } from '../config';
import type { ProcessSpec } from './process-spec';
import { searchAttributesReady } from './search-attributes';

export interface TemporalDevOptions {
  readonly cliPath: string;
  readonly port: number;
  /** The Web UI's port; undefined runs headless (tests). */
  readonly uiPort: number | undefined;
  /** A SQLite file so a restart keeps running workflows; undefined keeps state in memory. */
  readonly dataDir: string | undefined;
  readonly namespace: string;
  /** The Web UI's remote codec endpoint (payloads shown decrypted). */
  readonly codecEndpoint?: string | undefined;
}

/** Arguments of `temporal server start-dev`, bound to 127.0.0.1. */
export function temporalDevArgs(options: TemporalDevOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port)];
  if (options.uiPort === undefined) args.push('--headless');
  else {
    args.push('--ui-port', String(options.uiPort));
    if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  }
  if (options.dataDir) args.push('--db-filename', join(options.dataDir, 'temporal.db'));
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  // Registered in the namespaces it creates; readiness adds them to an older SQLite file's.
  for (const { name, type } of SEARCH_ATTRIBUTE_KEYS) {
    args.push('--search-attribute', `${name}=${searchAttributeTypeName(type)}`);
  }
  args.push('--log-level', 'error', '--log-format', 'pretty');
  return args;
}

/**
 * True once the frontend answers gRPC health checks as SERVING. The connection is lazy: the
 * SDK's eager connect calls GetSystemInfo, which a server still starting logs as an error with a
 * stack trace.
 */
export async function temporalServing(
  address: string,
  options: StackConfig['temporalConnection'] = {},
): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = Connection.lazy({ ...options, address });
    const health = connection.healthService;
    const { status } = await connection.withDeadline(Date.now() + 2_000, () => health.check({}));
    return status === grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Describes the Temporal CLI dev server process. */
export function localTemporal(options: TemporalDevOptions): ProcessSpec {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const ports = [
    { port: options.port, role: 'Temporal frontend (gRPC)', variable: 'TEMPORAL_PORT' },
  ];
  if (options.uiPort !== undefined) {
    ports.push({ port: options.uiPort, role: 'Temporal Web UI', variable: 'TEMPORAL_UI_PORT' });
  }
  return {
    name: 'temporal',
    command: options.cliPath,
    args: temporalDevArgs(options),
    ports,
    ready: {
      description: `gRPC health and search attributes on 127.0.0.1:${options.port}`,
      check: async () =>
        (await temporalServing(`127.0.0.1:${options.port}`)) &&
        (await searchAttributesReady(`127.0.0.1:${options.port}`, options.namespace)),
      timeoutMs: 60_000,
      intervalMs: 250,
    },
    stopTimeoutMs: 10_000,
  };
}
