import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_INVARIANT, terminalReport } from './report';
import { runSoak } from './run-soak';

/**
 * `npm run test:cluster` (Nx target tools:test-cluster), apart from `npm test` for its size:
 * `npm run soak -- --profile nodes` — three Cassandra nodes at replication factor 3, Temporal
 * on the same cluster with 8 history shards, two replicas of each worker, load through the API;
 * one node killed mid-load and brought back, another frozen (SIGSTOP) and thawed, then the whole
 * of Temporal. Every invariant of the
 * single-node soak must hold, and after the faults a full repair must leave the replicas in sync.
 */
describe('the node-loss soak on a three-node cluster', () => {
  jest.setTimeout(1_200_000);
  const dir = mkdtempSync(join(tmpdir(), 'invincible-soak-cluster-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loses and doubles nothing while nodes are killed or frozen and Temporal restarts, and repairs after', async () => {
    const report = await runSoak('nodes', dir);
    // The figures (recovery, requests failed while down, repair) belong in the run's log.
    process.stdout.write(`${terminalReport(report)}\n`);
    expect(report.invariants.filter((i) => i.broken > 0)).toEqual([]);
    expect(report.invariants.map((i) => i.name)).toContain(CLUSTER_INVARIANT);
    expect(report.violations).toEqual([]);
    // It ran where it says, with the load landed and each fault injected and recovered from.
    expect(report.cluster).toMatchObject({ cassandraNodes: 3, historyShards: 8 });
    expect(report.counts['charges succeeded']).toBeGreaterThan(10);
    expect(report.counts['loyalty ledger rows']).toBeGreaterThan(100);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(
      new Set(['kill-worker', 'kill-cassandra-node', 'stop-cassandra-node', 'kill-temporal']),
    );
    expect(report.faults.every((f) => f.recoveryMs !== null)).toBe(true);
    // Both keyspaces were repaired and previewed in sync afterwards.
    expect(report.cluster?.repairs.map((r) => [r.keyspace, r.after.inSync])).toEqual([
      ['soak', true],
      ['temporal', true],
    ]);
    expect(report.statuses['500']).toBeUndefined();
  });
});
