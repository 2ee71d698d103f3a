import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MissingToolError, ProvisionError } from '../errors';
import { loadExeca } from '../execa';
import type { Logger } from '../log';
import { TOOLS_ROOT } from '../paths';
import { runStep } from './run-step';
import { SCHEMATHESIS_MIN_PYTHON, SCHEMATHESIS_VERSION } from './versions';
import { isExecutable, which } from './which';

export interface SchemathesisOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/** The hash-pinned requirements: the version and every dependency, with their sha256. */
export const SCHEMATHESIS_REQUIREMENTS = join(
  TOOLS_ROOT,
  'python',
  'schemathesis',
  'requirements.txt',
);

/**
 * Where the virtual environment lives. The cache key is the requirements file's content, so
 * changing a pin provisions anew beside the old one.
 */
export function cachedSchemathesisDir(cacheDir: string): string {
  const hash = createHash('sha256')
    .update(readFileSync(SCHEMATHESIS_REQUIREMENTS))
    .digest('hex')
    .slice(0, 12);
  return join(cacheDir, `schemathesis-${SCHEMATHESIS_VERSION}-${hash}`);
}

/** The venv's interpreter: run the tool as `<python> -m schemathesis.cli run …`. */
function venvPython(dir: string): string {
  return join(dir, 'bin', 'python');
}

/**
 * Returns the Python of a virtual environment holding exactly the pinned schemathesis, creating
 * it the first time (`python -m venv`, then `pip install --require-hashes --only-binary=:all:`:
 * no file whose hash is not in the requirements, no build from source). The venv is built in a
 * staging directory and renamed into place once it answers `--version`, so an interrupted
 * install never leaves a half-filled environment that a later run would trust. (A moved venv's
 * scripts keep their old path in their shebang; its `bin/python` does not, hence `-m`.)
 */
export async function ensureSchemathesis(options: SchemathesisOptions): Promise<string> {
  const { cacheDir, env, log } = options;
  const target = cachedSchemathesisDir(cacheDir);
  if (isExecutable(venvPython(target))) return venvPython(target);

  const python = await findPython(env);
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, '.schemathesis-build-'));
  try {
    await runStep({
      name: 'venv',
      what: `creating a Python virtual environment for schemathesis ${SCHEMATHESIS_VERSION}`,
      command: python,
      args: ['-m', 'venv', staging],
      env,
      log,
    });
    await runStep({
      name: 'pip',
      what: `installing schemathesis ${SCHEMATHESIS_VERSION}, hash-pinned (first run only, seconds)`,
      command: venvPython(staging),
      args: [
        '-m',
        'pip',
        'install',
        '--no-input',
        '--disable-pip-version-check',
        '--require-hashes',
        '--only-binary=:all:',
        '-r',
        SCHEMATHESIS_REQUIREMENTS,
      ],
      env: { ...env, PIP_NO_INPUT: '1', PYTHONNOUSERSITE: '1' },
      log,
    });
    const { execa } = await loadExeca();
    const version = await execa(venvPython(staging), ['-m', 'schemathesis.cli', '--version'], {
      env,
      stdin: 'ignore',
      reject: false,
    });
    if (version.failed || !version.stdout.includes(SCHEMATHESIS_VERSION)) {
      throw new ProvisionError(
        `schemathesis ${SCHEMATHESIS_VERSION} did not answer --version after its install: ` +
          (version.stderr.trim().split('\n').at(-1) ?? version.stdout.trim()),
      );
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return venvPython(target);
}

/** The first `python3.X` or `python3` on PATH recent enough for the pinned schemathesis. */
async function findPython(env: NodeJS.ProcessEnv): Promise<string> {
  const [major, minor] = SCHEMATHESIS_MIN_PYTHON;
  const names = [
    ...Array.from({ length: 6 }, (_, i) => `python${major}.${minor + 5 - i}`),
    `python${major}`,
  ];
  const { execa } = await loadExeca();
  for (const name of names) {
    const path = which(name, env['PATH']);
    if (!path) continue;
    // pyenv shims exist for versions that are not installed: ask the interpreter itself.
    const probe = await execa(
      path,
      ['-c', `import sys, venv; sys.exit(0 if sys.version_info >= (${major}, ${minor}) else 1)`],
      { env, stdin: 'ignore', reject: false },
    );
    if (probe.exitCode === 0) return path;
  }
  throw new MissingToolError(
    `Python ${major}.${minor} or newer with venv (for schemathesis, the API fuzz suite)`,
    `Install Python ${major}.${minor}+ (and its venv module) so that python3 is on PATH.`,
  );
}
