import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { MissingToolError, ProvisionError } from '../errors';
import { loadExeca } from '../execa';
import { formatDuration, type Logger } from '../log';
import { goBuildTool } from './go-install';
import {
  JAEGER_MODULE,
  JAEGER_REPLACES,
  JAEGER_UI_CRATE,
  JAEGER_UI_CRATE_VERSION,
  JAEGER_UI_VERSION,
  JAEGER_VERSION,
} from './versions';
import { existingBinary, goOrExplain, which } from './which';

export interface JaegerOptions {
  readonly cacheDir: string;
  /** JAEGER_PATH: an existing `jaeger` (v2) binary to use as is. */
  readonly jaegerPath: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** Where the Jaeger binary built from its Go module is cached. */
export function cachedJaegerPath(cacheDir: string): string {
  return join(cacheDir, `jaeger-${JAEGER_VERSION}`, 'bin', 'jaeger');
}

/**
 * Finds Jaeger (JAEGER_PATH, then the cache) or builds `cmd/jaeger` from its Go module into the
 * cache, staged and renamed into place like the Temporal CLI. Not looked up on PATH: a `jaeger`
 * there may be v1, whose flags and config differ.
 */
export async function ensureJaeger(options: JaegerOptions): Promise<string> {
  const { env, log } = options;
  const cached = cachedJaegerPath(options.cacheDir);
  const found = existingBinary({
    variable: 'JAEGER_PATH',
    given: options.jaegerPath,
    cached,
    env,
  });
  if (found) return found;
  const go = goOrExplain(
    env,
    'Go (1.24 or newer, to build Jaeger)',
    'set JAEGER_PATH to a Jaeger v2 binary, or start without --traces.',
  );
  return goBuildTool({
    go,
    pkg: `${JAEGER_MODULE}/cmd/jaeger`,
    version: JAEGER_VERSION,
    replaces: JAEGER_REPLACES,
    target: cached,
    what: `building Jaeger ${JAEGER_VERSION} from its Go module (first run only, a few minutes)`,
    env,
    log,
  });
}

export interface JaegerUiOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** Where the Jaeger UI's production build is cached (the directory holding index.html). */
export function cachedJaegerUiPath(cacheDir: string): string {
  return join(cacheDir, `jaeger-ui-${JAEGER_UI_VERSION}`, 'build');
}

/**
 * The line Jaeger's query service replaces in index.html to hand the UI its configuration: a
 * build without it is not a Jaeger UI the query service can serve.
 */
const CONFIG_INJECTION_POINT = 'const JAEGER_CONFIG = DEFAULT_CONFIG;';

/** True when `dir` holds a Jaeger UI build: index.html with the query service's injection point. */
export function isJaegerUiBuild(dir: string): boolean {
  const index = join(dir, 'index.html');
  return existsSync(index) && readFileSync(index, 'utf8').includes(CONFIG_INJECTION_POINT);
}

/**
 * Finds in the cache, or fetches, the Jaeger UI's production build. Cargo fetches the crate that
 * ships it (checksum-verified against the crates.io index, with the user's Cargo configuration)
 * into a throwaway package; `cargo metadata` says where the crate's source was unpacked, and
 * its `jaeger-ui/build` and the UI's LICENSE are copied into the cache.
 */
export async function ensureJaegerUi(options: JaegerUiOptions): Promise<string> {
  const { env, log } = options;
  const target = cachedJaegerUiPath(options.cacheDir);
  if (isJaegerUiBuild(target)) return target;

  const cargo = which('cargo', env['PATH']);
  if (!cargo) {
    throw new MissingToolError(
      "Cargo (Rust's package manager, to fetch the Jaeger UI's built assets)",
      'Install Rust (Debian: apt-get install cargo), or start without --traces.',
    );
  }
  const versionDir = dirname(target);
  mkdirSync(versionDir, { recursive: true });
  const staging = mkdtempSync(join(versionDir, '.fetch-'));
  const started = Date.now();
  const what = `fetching the Jaeger UI ${JAEGER_UI_VERSION} (crate ${JAEGER_UI_CRATE} ${JAEGER_UI_CRATE_VERSION}, first run only)`;
  log.info(`${what}…`);
  try {
    writeFileSync(
      join(staging, 'Cargo.toml'),
      [
        '[package]',
        'name = "invincible-jaeger-ui"',
        'version = "0.0.0"',
        'edition = "2021"',
        'publish = false',
        '',
        '[dependencies]',
        `${JAEGER_UI_CRATE} = "=${JAEGER_UI_CRATE_VERSION}"`,
        '',
        '# Its own workspace: never a member of one in a directory above.',
        '[workspace]',
        '',
      ].join('\n'),
    );
    mkdirSync(join(staging, 'src'));
    writeFileSync(join(staging, 'src', 'lib.rs'), '');
    const crateDir = await crateSourceDir(cargo, staging, env, what);
    const build = join(crateDir, 'jaeger-ui', 'build');
    if (!isJaegerUiBuild(build)) {
      throw new ProvisionError(
        `${what}: ${build} is not a Jaeger UI build (no index.html with "${CONFIG_INJECTION_POINT}")`,
      );
    }
    const out = join(staging, 'ui');
    cpSync(build, join(out, 'build'), { recursive: true });
    for (const file of ['LICENSE', 'README']) {
      const from = join(crateDir, 'jaeger-ui', file);
      if (existsSync(from)) cpSync(from, join(out, file));
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(join(out, 'build'), target);
    for (const file of ['LICENSE', 'README']) {
      if (existsSync(join(out, file))) renameSync(join(out, file), join(versionDir, file));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log.info(`${what}: done in ${formatDuration(Date.now() - started)}`);
  return target;
}

/** Runs `cargo metadata` in `manifestDir` and returns where the UI crate's source is unpacked. */
async function crateSourceDir(
  cargo: string,
  manifestDir: string,
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<string> {
  const { execa } = await loadExeca();
  const result = await execa(
    cargo,
    ['metadata', '--format-version', '1', '--manifest-path', join(manifestDir, 'Cargo.toml')],
    { env, cwd: manifestDir, stdin: 'ignore', reject: false, cleanup: true },
  );
  if (result.failed) {
    const lastLine = String(result.stderr).trim().split('\n').at(-1) ?? result.shortMessage;
    throw new ProvisionError(`${what} failed (cargo metadata): ${lastLine}`);
  }
  const metadata = JSON.parse(String(result.stdout)) as {
    packages: { name: string; version: string; manifest_path: string }[];
  };
  const crate = metadata.packages.find(
    (p) => p.name === JAEGER_UI_CRATE && p.version === JAEGER_UI_CRATE_VERSION,
  );
  if (!crate) {
    throw new ProvisionError(`${what}: cargo metadata does not list ${JAEGER_UI_CRATE}`);
  }
  return dirname(crate.manifest_path);
}
