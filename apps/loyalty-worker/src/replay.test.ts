import { join } from 'node:path';
import { WORKFLOW_SOURCES } from '@invincible/workflows';
import { loadHistories, replayFailures } from '@invincible/workflows/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

/**
 * Histories recorded from the Temporal dev server by `npm run record:histories -- loyalty`
 * (purchases with duplicates and a coupon, a redemption, continue-as-new), and the same scenarios
 * recorded before batching (`v1-per-purchase-*`, one ledger activity per purchase). Replaying them
 * against the current workflow code proves it still makes the same decisions.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const histories = loadHistories(DIR);

describe('replay of recorded loyalty histories', () => {
  jest.setTimeout(120_000);

  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('covers the main scenarios', () => {
    expect(histories.map((h) => h.workflowId)).toEqual([
      'continue-as-new',
      'continue-as-new.run1',
      'purchases-coupon-duplicates',
      'redeem',
      // Recorded before purchases were counted in batches: executions of that code still run.
      'v1-per-purchase-continue-as-new',
      'v1-per-purchase-continue-as-new.run1',
      'v1-per-purchase-purchases-coupon-duplicates',
      'v1-per-purchase-redeem',
    ]);
  });

  it('the current workflow code replays every one of them deterministically', async () => {
    const failures = await replayFailures(require.resolve(WORKFLOW_SOURCES.loyalty), histories);
    expect(failures).toEqual([]);
  });

  it('a change that is not replay-safe fails', async () => {
    const first = histories.find((h) => h.workflowId === 'purchases-coupon-duplicates');
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./testing/changed-loyalty-workflows') },
        first?.history,
        first?.workflowId,
      ),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
