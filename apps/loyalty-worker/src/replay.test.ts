import { join } from 'node:path';
import { tracingWorkerOptions } from '@invincible/temporal-runtime';
import {
  loyaltyWorkflowId,
  TRACING_INTERCEPTORS_SOURCE,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import { loadHistories, replayFailures } from '@invincible/workflows/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

/**
 * Histories recorded from the Temporal dev server by `npm run record:histories -- loyalty`
 * (purchases with duplicates and a coupon, a redemption, continue-as-new, rejected messages), and
 * the same scenarios recorded by earlier code: before batching (`v1-per-purchase-*`, one ledger
 * activity per purchase) and before the ledger (`v2-batched-*`). Replaying them against the
 * current workflow code proves it still makes the same decisions.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const histories = loadHistories(DIR);

/** The workflow id a history ran under (`loyalty:<customerId>`): the program checks it matches its input. */
function recordedId(history: unknown): string {
  const started = (
    history as {
      events: {
        workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } };
      }[];
    }
  ).events[0]?.workflowExecutionStartedEventAttributes;
  const data = started?.input.payloads[0]?.data ?? '';
  const input = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { customerId: string };
  return loyaltyWorkflowId(input.customerId);
}

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
      // A malformed, an unknown and an undecodable signal: rejected, never a task failure.
      'rejected-messages',
      // Recorded before purchases were counted in batches: executions of that code still run.
      'v1-per-purchase-continue-as-new',
      'v1-per-purchase-continue-as-new.run1',
      'v1-per-purchase-purchases-coupon-duplicates',
      'v1-per-purchase-redeem',
      // Recorded before the ledger (batched, pre-ledger activities and state).
      'v2-batched-continue-as-new',
      'v2-batched-continue-as-new.run1',
      'v2-batched-purchases-coupon-duplicates',
      'v2-batched-redeem',
    ]);
  });

  it('the current workflow code replays every one of them deterministically', async () => {
    const failures = await replayFailures(
      require.resolve(WORKFLOW_SOURCES.loyalty),
      histories.map((h) => ({ workflowId: recordedId(h.history), history: h.history })),
      tracingWorkerOptions(undefined, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]), // as the worker runs them: with the tracing interceptors
    );
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
