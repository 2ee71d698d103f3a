import { join } from 'node:path';
import type { Logger } from '../log';
import { goInstall } from './go-install';
import { HELM_MODULE, HELM_VERSION } from './versions';
import { existingBinary, goOrExplain } from './which';

export interface HelmOptions {
  readonly cacheDir: string;
  /** HELM_PATH: an existing binary to use as is. */
  readonly helmPath: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** Where Helm built from its Go module is cached. */
export function cachedHelmPath(cacheDir: string): string {
  return join(cacheDir, `helm-${HELM_VERSION}`, 'bin', 'helm');
}

/**
 * Finds Helm (HELM_PATH, then PATH, then the cache) or builds it from its Go module into the
 * cache, as `ensureTemporalCli` does the CLI.
 */
export async function ensureHelm(options: HelmOptions): Promise<string> {
  const { env, log } = options;
  const cached = cachedHelmPath(options.cacheDir);
  const found = existingBinary({
    variable: 'HELM_PATH',
    given: options.helmPath,
    name: 'helm',
    cached,
    env,
  });
  if (found) return found;
  return goInstall({
    go: goOrExplain(
      env,
      'Go (1.24 or newer, to build Helm)',
      'put a `helm` binary on PATH or in HELM_PATH.',
    ),
    pkg: HELM_MODULE,
    version: HELM_VERSION,
    binary: 'helm',
    target: cached,
    what: `building Helm ${HELM_VERSION} from its Go module (first run only, about 2 minutes)`,
    env,
    log,
  });
}
