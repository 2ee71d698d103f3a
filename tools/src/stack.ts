import { join } from 'node:path';
import type { StackConfig } from './config';
import type { Logger } from './log';
import { findJava } from './provision/java';
import { ensureClasspath, ensureTestServerExecutable } from './provision/maven';
import { ensureTemporalCli } from './provision/temporal-cli';
import { localCassandra } from './servers/cassandra';
import type { ProcessSpec } from './servers/process-spec';
import { localTemporal } from './servers/temporal-dev';

export type ServerName = 'temporal' | 'cassandra';

/** Everything provisioned for one run: paths to binaries and classpaths. */
export interface Provisioned {
  readonly temporalCli?: string;
  readonly cassandraClasspath?: string;
  readonly testServer?: string;
  readonly java?: string;
}

export interface ProvisionRequest {
  readonly temporal: boolean;
  readonly cassandra: boolean;
  readonly testServer: boolean;
}

/** Provisions (first run) or finds in the cache (every later run) what `request` asks for. */
export async function provision(
  config: StackConfig,
  request: ProvisionRequest,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<Provisioned> {
  const options = { cacheDir: config.cacheDir, env, log };
  const needJava = (request.cassandra && config.database.mode === 'local') || request.testServer;
  const java = needJava ? findJava(config.javaHome, env['PATH']) : undefined;
  // Sequential on purpose: the Go build and Maven would fight over the 2 cores.
  const temporalCli =
    request.temporal && config.temporal.mode === 'local'
      ? await ensureTemporalCli({ ...options, cliPath: config.temporal.cliPath })
      : undefined;
  const cassandraClasspath =
    request.cassandra && config.database.mode === 'local'
      ? await ensureClasspath('cassandra', options)
      : undefined;
  const testServer =
    request.testServer && java ? await ensureTestServerExecutable(java, options) : undefined;
  return { temporalCli, cassandraClasspath, testServer, java };
}

/** Where the apps and tests find the servers, whichever way they were provided. */
export interface Endpoints {
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  readonly temporalUiUrl: string | undefined;
  /** Undefined when the business data lives in Astra DB (Data API). */
  readonly cassandraContactPoints: string | undefined;
  readonly cassandraLocalDataCenter: string;
}

/** The local server processes `config` asks for (none for servers given by address). */
export function serverSpecs(
  config: StackConfig,
  provisioned: Provisioned,
  options: { readonly ephemeral: boolean; readonly dataDir: string },
): ProcessSpec[] {
  const specs: ProcessSpec[] = [];
  if (config.temporal.mode === 'local' && provisioned.temporalCli) {
    specs.push(
      localTemporal({
        cliPath: provisioned.temporalCli,
        port: config.temporal.port,
        uiPort: options.ephemeral ? undefined : config.temporal.uiPort,
        dataDir: options.ephemeral ? undefined : join(options.dataDir, 'temporal'),
        namespace: config.temporal.namespace,
      }),
    );
  }
  if (config.database.mode === 'local' && provisioned.cassandraClasspath && provisioned.java) {
    specs.push(
      localCassandra({
        java: provisioned.java,
        classpath: provisioned.cassandraClasspath,
        dataDir: join(options.dataDir, 'cassandra'),
        port: config.database.port,
        storagePort: config.database.storagePort,
        heap: config.database.heap,
      }),
    );
  }
  return specs;
}

export function endpoints(config: StackConfig): Endpoints {
  const t = config.temporal;
  const d = config.database;
  return {
    temporalAddress: t.mode === 'external' ? t.address : `127.0.0.1:${t.port}`,
    temporalNamespace: t.namespace,
    temporalUiUrl: t.mode === 'local' ? `http://127.0.0.1:${t.uiPort}` : undefined,
    cassandraContactPoints:
      d.mode === 'local'
        ? `127.0.0.1:${d.port}`
        : d.mode === 'external'
          ? d.contactPoints
          : undefined,
    cassandraLocalDataCenter: d.mode === 'astra' ? 'datacenter1' : d.localDataCenter,
  };
}
