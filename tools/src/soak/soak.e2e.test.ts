import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from './run-soak';

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
    const report = await runSoak('smoke', dir);
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
