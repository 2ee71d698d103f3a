import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../log';
import { runStep } from './run-step';

export interface GoInstallOptions {
  readonly go: string;
  /** The package path of the command, e.g. `go.temporal.io/server/cmd/server`. */
  readonly pkg: string;
  readonly version: string;
  /** The file `go install` writes: the last element of `pkg`. */
  readonly binary: string;
  /** Where the binary ends up. */
  readonly target: string;
  readonly what: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/**
 * `go install pkg@version` into a fresh staging directory beside `target`, then one rename into
 * place: an interrupted build never leaves a half-written binary behind, and two commands whose
 * binaries share a name (`server`) never overwrite each other.
 */
export async function goInstall(options: GoInstallOptions): Promise<string> {
  const versionDir = dirname(dirname(options.target));
  mkdirSync(versionDir, { recursive: true });
  const staging = mkdtempSync(join(versionDir, '.build-'));
  try {
    await runStep({
      name: 'go install',
      what: options.what,
      command: options.go,
      args: ['install', '-trimpath', `${options.pkg}@${options.version}`],
      env: {
        ...options.env,
        GOBIN: staging,
        GOFLAGS: options.env['GOFLAGS'] ?? '',
        CGO_ENABLED: options.env['CGO_ENABLED'] ?? '0',
      },
      log: options.log,
    });
    mkdirSync(dirname(options.target), { recursive: true });
    renameSync(join(staging, options.binary), options.target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return options.target;
}
