import { join } from 'node:path';
import { MissingToolError } from '../errors';
import type { Logger } from '../log';
import { goInstall } from './go-install';
import {
  TEMPORAL_SERVER_MODULE,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_SERVER_MODULE,
  TEMPORAL_UI_SERVER_VERSION,
} from './versions';
import { isExecutable, which } from './which';

export interface TemporalServerOptions {
  readonly cacheDir: string;
  /** Also the Web UI server (`npm start`; tests run headless). */
  readonly ui: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** The binaries of `TEMPORAL_PERSISTENCE=cassandra`. */
export interface TemporalServerBinaries {
  readonly server: string;
  readonly schemaTool: string;
  readonly uiServer: string | undefined;
}

/** Where the server, its Cassandra schema tool and the UI server built from Go are cached. */
export function cachedTemporalServerPaths(cacheDir: string): {
  readonly server: string;
  readonly schemaTool: string;
  readonly uiServer: string;
} {
  const bin = join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'bin');
  return {
    server: join(bin, 'temporal-server'),
    schemaTool: join(bin, 'temporal-cassandra-tool'),
    uiServer: join(
      cacheDir,
      `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`,
      'bin',
      'temporal-ui-server',
    ),
  };
}

/**
 * Finds in the cache, or builds from their Go modules, the Temporal server, its Cassandra schema
 * tool and (when asked) the Web UI server — each staged and renamed into place like the CLI.
 */
export async function ensureTemporalServer(
  options: TemporalServerOptions,
): Promise<TemporalServerBinaries> {
  const { env, log } = options;
  const paths = cachedTemporalServerPaths(options.cacheDir);
  const builds = [
    {
      pkg: `${TEMPORAL_SERVER_MODULE}/cmd/server`,
      version: TEMPORAL_SERVER_VERSION,
      binary: 'server',
      target: paths.server,
      what: `building the Temporal server ${TEMPORAL_SERVER_VERSION} from its Go module (first run only, about 2 min)`,
    },
    {
      pkg: `${TEMPORAL_SERVER_MODULE}/cmd/tools/cassandra`,
      version: TEMPORAL_SERVER_VERSION,
      binary: 'cassandra',
      target: paths.schemaTool,
      what: `building Temporal's Cassandra schema tool ${TEMPORAL_SERVER_VERSION} (first run only)`,
    },
    ...(options.ui
      ? [
          {
            pkg: `${TEMPORAL_UI_SERVER_MODULE}/cmd/server`,
            version: TEMPORAL_UI_SERVER_VERSION,
            binary: 'server',
            target: paths.uiServer,
            what: `building the Temporal Web UI server ${TEMPORAL_UI_SERVER_VERSION} (first run only)`,
          },
        ]
      : []),
  ].filter((b) => !isExecutable(b.target));
  if (builds.length > 0) {
    const go = which('go', env['PATH']);
    if (!go) {
      throw new MissingToolError(
        'Go (1.23 or newer, to build the Temporal server)',
        'Install Go, or run Temporal on the dev server (unset TEMPORAL_PERSISTENCE).',
      );
    }
    // One at a time: parallel Go builds only fight over the cores.
    for (const build of builds) await goInstall({ go, env, log, ...build });
  }
  return {
    server: paths.server,
    schemaTool: paths.schemaTool,
    uiServer: options.ui ? paths.uiServer : undefined,
  };
}
