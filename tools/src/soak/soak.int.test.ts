import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { spawnCollecting } from '../testing/processes';
import type { SoakReport } from './report';

/**
 * `npm run soak -- --profile smoke` as part of `npm test`: its own Cassandra and Temporal, the
 * built apps (two replicas of each worker), load through the API, every kind of fault once or
 * more; every invariant must hold.
 */
describe('the smoke soak', () => {
  jest.setTimeout(420_000);
  const dir = mkdtempSync(join(tmpdir(), 'invincible-soak-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every invariant through workers, the API, Temporal and Cassandra being killed', async () => {
    const soak = spawnCollecting(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        join(REPO_ROOT, 'tools', 'src', 'soak', 'soak.ts'),
        '--profile',
        'smoke',
        '--no-build',
        '--report',
        dir,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' }, detached: false },
    );
    const code = await soak.exited;
    if (code !== 0) throw new Error(`soak exited ${String(code)}:\n${soak.output().slice(-8_000)}`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as SoakReport;
    expect(report.invariants.filter((i) => i.broken > 0)).toEqual([]);
    expect(report.violations).toEqual([]);
    // It really did what it says: load landed, and every kind of fault was injected.
    expect(report.counts['charges succeeded']).toBeGreaterThan(20);
    expect(report.counts['loyalty ledger rows']).toBeGreaterThan(100);
    expect(report.counts['coupons']).toBeGreaterThan(0);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(
      new Set(['kill-worker', 'kill-api', 'kill-temporal', 'stop-cassandra', 'kill-cassandra']),
    );
    expect(report.faults.every((f) => f.recoveryMs !== null)).toBe(true);
    expect(report.statuses['500']).toBeUndefined();
  });
});
