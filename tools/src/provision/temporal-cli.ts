import { join } from 'node:path';
import type { Logger } from '../log';
import { goInstall } from './go-install';
import { TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION } from './versions';
import { existingBinary, goOrExplain } from './which';

export interface TemporalCliOptions {
  readonly cacheDir: string;
  /** TEMPORAL_CLI_PATH: an existing binary to use as is. */
  readonly cliPath: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** Where the CLI built from its Go module is cached. */
export function cachedTemporalCliPath(cacheDir: string): string {
  return join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'bin', 'temporal');
}

/**
 * Finds the Temporal CLI (TEMPORAL_CLI_PATH, then PATH, then the cache) or builds it from its Go
 * module into the cache. The build goes to a fresh directory that is renamed into place, so an
 * interrupted build never leaves a half-written binary behind.
 */
export async function ensureTemporalCli(options: TemporalCliOptions): Promise<string> {
  const { env, log } = options;
  const cached = cachedTemporalCliPath(options.cacheDir);
  const found = existingBinary({
    variable: 'TEMPORAL_CLI_PATH',
    given: options.cliPath,
    name: 'temporal',
    cached,
    env,
  });
  if (found) return found;
  return goInstall({
    go: goOrExplain(
      env,
      'Go (1.23 or newer, to build the Temporal CLI)',
      'put a `temporal` binary on PATH or in TEMPORAL_CLI_PATH, ' +
        'or point TEMPORAL_ADDRESS at an existing Temporal server.',
    ),
    pkg: TEMPORAL_CLI_MODULE,
    version: TEMPORAL_CLI_VERSION,
    binary: 'temporal',
    target: cached,
    what: `building the Temporal CLI ${TEMPORAL_CLI_VERSION} from its Go module (first run only, a few minutes)`,
    env,
    log,
  });
}
