import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { spawnCollecting } from '../testing/processes';
import type { SoakProfile } from './profiles';
import type { SoakReport } from './report';

/**
 * Runs `npm run soak -- --profile <profile> --no-build` as the tests do (the apps built by the
 * target's dependencies), writing its report into `dir`; rejects with the soak's last output
 * when it exits non-zero, else resolves with the report.
 */
export async function runSoak(profile: SoakProfile['name'], dir: string): Promise<SoakReport> {
  const soak = spawnCollecting(
    process.execPath,
    [
      '--conditions=@invincible/source',
      '--import',
      'tsx',
      join(REPO_ROOT, 'tools', 'src', 'soak', 'soak.ts'),
      '--profile',
      profile,
      '--no-build',
      '--report',
      dir,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' }, detached: false },
  );
  const code = await soak.exited;
  if (code !== 0) throw new Error(`soak exited ${String(code)}:\n${soak.output().slice(-8_000)}`);
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as SoakReport;
}
