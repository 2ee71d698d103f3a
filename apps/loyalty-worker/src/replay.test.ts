import { join } from 'node:path';
import { payloadCodecFromEnv, tracingWorkerOptions } from '@invincible/temporal-runtime';
import {
  loyaltyWorkflowId,
  TRACING_INTERCEPTORS_SOURCE,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import {
  clearPayloads,
  loadHistories,
  recordedStartInput,
  replayFailures,
  REPLAY_FIXTURE_CODEC_KEYS,
} from '@invincible/workflows/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

/**
 * Histories recorded from the Temporal dev server by `npm run record:histories -- loyalty`
 * (purchases with duplicates and a coupon, a redemption, continue-as-new, rejected messages), and
 * the same scenarios recorded by earlier code: before batching (`v1-per-purchase-*`, one ledger
 * activity per purchase) and before the ledger (`v2-batched-*`), and by the current code with
 * payload encryption on (`*.encrypted`, under the fixtures' public key). Replaying them against
 * the current workflow code proves it still makes the same decisions.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const histories = loadHistories(DIR);

/** The codec of the histories recorded encrypted. */
const fixtureCodec = (() => {
  const parsed = payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: REPLAY_FIXTURE_CODEC_KEYS });
  if (!parsed.ok || !parsed.codec) throw new Error('the replay fixtures key does not parse');
  return parsed.codec;
})();

/** The workflow id a history ran under (`loyalty:<customerId>`): the program checks it matches its input. */
async function recordedId(history: unknown): Promise<string> {
  const input = (await recordedStartInput(history, [fixtureCodec])) as { customerId: string };
  return loyaltyWorkflowId(input.customerId);
}

describe('replay of recorded loyalty histories', () => {
  jest.setTimeout(120_000);

  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('covers the main scenarios', () => {
    expect(histories.map((h) => h.workflowId)).toEqual([
      'continue-as-new.encrypted',
      'continue-as-new.encrypted.run1',
      'continue-as-new',
      'continue-as-new.run1',
      'purchases-coupon-duplicates.encrypted',
      'purchases-coupon-duplicates',
      'redeem.encrypted',
      'redeem',
      // A malformed, an unknown and an undecodable signal: rejected, never a task failure.
      'rejected-messages.encrypted',
      'rejected-messages',
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
      await Promise.all(
        histories.map(async (h) => ({
          workflowId: await recordedId(h.history),
          history: h.history,
        })),
      ),
      // As the worker runs them: with the tracing interceptors and the payload codec.
      {
        ...tracingWorkerOptions(undefined, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]),
        payloadCodecs: [fixtureCodec],
      },
    );
    expect(failures).toEqual([]);
  });

  it('the encrypted histories hold every payload sealed, but search attributes and patch markers', () => {
    const encrypted = histories.filter((h) => h.workflowId.includes('.encrypted'));
    expect(encrypted).toHaveLength(5);
    for (const { workflowId, history } of encrypted) {
      // The recording sends one signal as raw bytes of an unknown encoding, past every converter
      // and codec (the undecodable message the program must reject): that one stays as sent.
      const clear = clearPayloads(history).filter(
        (p) => p !== 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED text/weird',
      );
      expect({ workflowId, clear }).toEqual({ workflowId, clear: [] });
    }
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
