import { existsSync, readFileSync } from 'node:fs';
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
  if (code !== 0) {
    // What broke first (a CI log may keep only the head of a long message), then the output.
    const report = readReport(dir);
    const broken = report
      ? [
          `broken: ${report.invariants
            .filter((i) => i.broken > 0)
            .map((i) => `${i.name} ×${i.broken}`)
            .join(', ')}`,
          ...report.violations.slice(0, 12).map((v) => `  ${v.invariant}: ${v.entity} ${v.detail}`),
          `durations: ${JSON.stringify(report.durations)}`,
        ]
      : ['no report written'];
    throw new Error(
      `soak exited ${String(code)}; ${broken.join('\n')}\n--- output\n${soak.output().slice(-8_000)}`,
    );
  }
  const report = readReport(dir);
  if (!report) throw new Error(`the soak exited 0 but wrote no ${join(dir, 'report.json')}`);
  return report;
}

function readReport(dir: string): SoakReport | undefined {
  const file = join(dir, 'report.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SoakReport) : undefined;
}
