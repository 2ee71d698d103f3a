import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingToolError, ProvisionError } from '../errors';

/** True when `path` is an executable regular file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH, like `command -v`. */
export function which(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A binary already there, in the order every provisioned tool is looked for: the one `variable`
 * names (which must be executable: a wrong path is said, never silently rebuilt), then `name` on
 * PATH (when given), then an earlier build at `cached`. Undefined: it has to be built.
 */
export function existingBinary(options: {
  readonly variable: string;
  readonly given: string | undefined;
  /** Looked up on PATH; omitted when a binary of that name there may be another version. */
  readonly name?: string;
  readonly cached: string;
  readonly env: NodeJS.ProcessEnv;
}): string | undefined {
  const { variable, given, name, cached, env } = options;
  if (given) {
    if (!isExecutable(given)) {
      throw new ProvisionError(`${variable}=${given} is not an executable file`);
    }
    return given;
  }
  const onPath = name ? which(name, env['PATH']) : undefined;
  if (onPath) return onPath;
  return isExecutable(cached) ? cached : undefined;
}

/** Go from PATH, or a MissingToolError saying what it was for and what else would do. */
export function goOrExplain(env: NodeJS.ProcessEnv, needed: string, instead: string): string {
  const go = which('go', env['PATH']);
  if (!go) throw new MissingToolError(needed, `Install Go, or ${instead}`);
  return go;
}
