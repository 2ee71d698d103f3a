import { accessSync, constants, statSync } from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';

/** TLS as `Connection` and `NativeConnection` take it (`@temporalio/common`'s `TLSConfig`). */
export interface TemporalTls {
  readonly serverNameOverride?: string;
  readonly serverRootCACertificate?: Buffer;
  readonly clientCertPair?: { readonly crt: Buffer; readonly key: Buffer };
}

/** Where and how to reach Temporal: the same options for the API's client and the workers. */
export interface TemporalConnectionConfig {
  /** `Connection.connect` / `Connection.lazy` / `NativeConnection.connect` options. */
  readonly connectionOptions: {
    readonly address: string;
    readonly tls?: TemporalTls | boolean;
    readonly apiKey?: string;
    readonly metadata?: Record<string, string>;
  };
  readonly namespace: string;
  /** For logs: address, namespace and the kind of security, never a secret. */
  readonly summary: string;
}

export type TemporalConnectionResult =
  | { readonly ok: true; readonly config: TemporalConnectionConfig }
  | { readonly ok: false; readonly issues: readonly string[] };

const DEFAULT_ADDRESS = 'localhost:7233';
const DEFAULT_NAMESPACE = 'default';

const isTrue = (value: string | undefined) => value !== undefined && /^(1|true)$/i.test(value);

/**
 * The Temporal connection from the environment, read as the `temporal` CLI reads it, so one
 * profile serves both: a profile of a `temporal.toml` (`TEMPORAL_CONFIG_FILE`, or the CLI's default
 * location; `TEMPORAL_PROFILE`, default `default`), overridden by `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_CLIENT_CERT_PATH` /
 * `_DATA`, `TEMPORAL_TLS_CLIENT_KEY_PATH` / `_DATA`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH` / `_DATA`,
 * `TEMPORAL_TLS_SERVER_NAME` and `TEMPORAL_GRPC_META_*` (`@temporalio/envconfig`). Without an
 * address: `localhost:7233`, namespace `default`, no TLS. An API key turns TLS on (Temporal Cloud).
 *
 * Every problem is an issue naming its variable — an unreadable certificate, a certificate
 * without its key, a profile that is not there — never a stack trace at the first connection.
 *
 * @example
 * ```ts
 * const temporal = temporalConnectionFromEnv(process.env);
 * if (!temporal.ok) throw new Error(temporal.issues.join('\n'));
 * const connection = await NativeConnection.connect(temporal.config.connectionOptions);
 * ```
 */
export function temporalConnectionFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): TemporalConnectionResult {
  const vars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const issues: string[] = [];
  if (isTrue(vars['TEMPORAL_TLS_DISABLE_HOST_VERIFICATION'])) {
    issues.push(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: the TypeScript SDK always verifies the server; set TEMPORAL_TLS_SERVER_NAME to the name in its certificate instead',
    );
  }
  const file = vars['TEMPORAL_CONFIG_FILE'];
  if (file !== undefined && !readable(file)) {
    // envconfig would carry on without it: a file named and not there is a mistake.
    issues.push(`TEMPORAL_CONFIG_FILE: cannot read ${file}`);
  }
  const pairs = [
    ['TEMPORAL_TLS_CLIENT_CERT', 'TEMPORAL_TLS_CLIENT_KEY'],
    ['TEMPORAL_TLS_CLIENT_KEY', 'TEMPORAL_TLS_CLIENT_CERT'],
  ] as const;
  for (const [given, missing] of pairs) {
    const has = (name: string) => vars[`${name}_PATH`] ?? vars[`${name}_DATA`];
    if (has(given) && !has(missing)) {
      issues.push(`${missing}_PATH: required with ${given}_PATH (mTLS needs both)`);
    }
  }
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (error) {
    issues.push(describeLoadError(error, vars));
    return { ok: false, issues };
  }
  if (issues.length > 0) return { ok: false, issues };
  const options = loaded.connectionOptions;
  const address = options.address ?? DEFAULT_ADDRESS;
  const namespace = loaded.namespace ?? DEFAULT_NAMESPACE;
  const tls = options.tls as TemporalTls | boolean | undefined;
  const security =
    typeof tls === 'object'
      ? tls.clientCertPair
        ? 'mTLS'
        : 'TLS'
      : tls === true
        ? 'TLS'
        : 'plaintext';
  const config: TemporalConnectionConfig = {
    connectionOptions: {
      address,
      ...(tls === undefined ? {} : { tls }),
      ...(typeof options.apiKey === 'string' ? { apiKey: options.apiKey } : {}),
      ...(options.metadata && Object.keys(options.metadata).length > 0
        ? { metadata: { ...(options.metadata as Record<string, string>) } }
        : {}),
    },
    namespace,
    summary: `${address}, namespace ${namespace}, ${security}${options.apiKey ? ', API key' : ''}`,
  };
  return { ok: true, config };
}

/** One line for what `@temporalio/envconfig` threw, naming the variable behind it. */
function describeLoadError(error: unknown, vars: Record<string, string>): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  const path = (error as { path?: string } | null)?.path;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    const variable =
      Object.entries(vars).find(
        ([name, value]) => name.startsWith('TEMPORAL_') && value === path,
      )?.[0] ?? 'TEMPORAL_CONFIG_FILE';
    return `${variable}: cannot read ${path ?? 'the file'} (${code})`;
  }
  if (/profile/i.test(message)) return `TEMPORAL_PROFILE: ${message}`;
  return `TEMPORAL_CONFIG_FILE: ${message}`;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
