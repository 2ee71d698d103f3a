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

export interface GoBuildToolOptions extends Omit<GoInstallOptions, 'binary'> {
  /**
   * `replace` directives of the command's own go.mod, restated as `old=new@version`: a module
   * that is not the main module has its replaces ignored, so the build would otherwise link
   * other versions than upstream's.
   */
  readonly replaces?: readonly string[];
}

/**
 * Builds `pkg@version` for a module whose go.mod has `replace` directives, which `go install
 * pkg@version` refuses: a throwaway module in the staging directory takes it as a tool
 * dependency (`go get -tool`, Go 1.24+) and `go build` writes the binary, then one rename into
 * place as `goInstall` does.
 */
export async function goBuildTool(options: GoBuildToolOptions): Promise<string> {
  const versionDir = dirname(dirname(options.target));
  mkdirSync(versionDir, { recursive: true });
  const staging = mkdtempSync(join(versionDir, '.build-'));
  const moduleDir = join(staging, 'module');
  mkdirSync(moduleDir);
  const env = {
    ...options.env,
    GOFLAGS: options.env['GOFLAGS'] ?? '',
    CGO_ENABLED: options.env['CGO_ENABLED'] ?? '0',
    // The throwaway module must not pick up a go.work from the directories above it.
    GOWORK: 'off',
  };
  const go = (args: readonly string[], what: string) =>
    runStep({ name: 'go', what, command: options.go, args, env, cwd: moduleDir, log: options.log });
  try {
    await go(['mod', 'init', 'invincible.local/build'], `${options.what}: go mod init`);
    for (const replace of options.replaces ?? []) {
      await go(['mod', 'edit', `-replace=${replace}`], `${options.what}: replace ${replace}`);
    }
    await go(
      ['get', '-tool', `${options.pkg}@${options.version}`],
      `${options.what}: fetching its modules`,
    );
    const binary = join(staging, 'out');
    await go(['build', '-trimpath', '-o', binary, options.pkg], options.what);
    mkdirSync(dirname(options.target), { recursive: true });
    renameSync(binary, options.target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return options.target;
}
