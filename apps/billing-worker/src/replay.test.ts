import { join } from 'node:path';
import { WORKFLOW_SOURCES } from '@invincible/workflows';
import { loadHistories, replayFailures } from '@invincible/workflows/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

/**
 * Histories recorded from the Temporal dev server by `npm run record:histories` (the main
 * subscription scenarios). Replaying them against the current workflow code proves it still
 * makes the same decisions: a change that would break running subscriptions fails here.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const histories = loadHistories(DIR);

describe('replay of recorded subscription histories', () => {
  jest.setTimeout(120_000);

  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('covers the main scenarios', () => {
    expect(histories.map((h) => h.workflowId)).toEqual(
      expect.arrayContaining([
        'three-periods-completed',
        'cancel-at-period-end',
        'cancel-signal-now',
        'price-change',
        'pause-resume',
        'dunning-recovers',
        'dunning-exhausted',
        'continue-as-new-then-cancel',
        'continue-as-new-then-cancel.run1',
      ]),
    );
  });

  it('the current workflow code replays every one of them deterministically', async () => {
    const failures = await replayFailures(require.resolve(WORKFLOW_SOURCES.billing), histories);
    expect(failures).toEqual([]);
  });

  it('a change that is not replay-safe fails', async () => {
    const [first] = histories;
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./testing/changed-subscription-workflows') },
        first?.history,
        first?.workflowId,
      ),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
