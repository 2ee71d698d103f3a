import { join } from 'node:path';
import { MissingToolError, ProvisionError } from '../errors';
import type { Logger } from '../log';
import { goInstall } from './go-install';
import { HELM_MODULE, HELM_VERSION } from './versions';
import { isExecutable, which } from './which';

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
  const { helmPath, env, log } = options;
  if (helmPath) {
    if (!isExecutable(helmPath)) {
      throw new ProvisionError(`HELM_PATH=${helmPath} is not an executable file`);
    }
    return helmPath;
  }
  const onPath = which('helm', env['PATH']);
  if (onPath) return onPath;
  const cached = cachedHelmPath(options.cacheDir);
  if (isExecutable(cached)) return cached;
  const go = which('go', env['PATH']);
  if (!go) {
    throw new MissingToolError(
      'Go (1.24 or newer, to build Helm)',
      'Install Go, or put a `helm` binary on PATH or in HELM_PATH.',
    );
  }
  return goInstall({
    go,
    pkg: HELM_MODULE,
    version: HELM_VERSION,
    binary: 'helm',
    target: cached,
    what: `building Helm ${HELM_VERSION} from its Go module (first run only, about 2 minutes)`,
    env,
    log,
  });
}
