import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (tools/src/.. /..). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Where the tools directory lives (poms, templates). */
export const TOOLS_ROOT = resolve(__dirname, '..');

/**
 * Cache for provisioned binaries and classpaths: outside git, shared by every checkout,
 * so a second run (or a second clone) does no network work.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CACHE_HOME'];
  const home = env['HOME'] || homedir();
  return join(xdg && xdg.length > 0 ? xdg : join(home, '.cache'), 'invincible');
}

/** Local state of `npm start` (Temporal's SQLite file, Cassandra's data): per checkout. */
export function defaultDataDir(): string {
  return join(REPO_ROOT, '.stack', 'data');
}
