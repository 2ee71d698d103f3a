import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  AesGcmPayloadCodec,
  payloadCodecFromEnv,
  tracingWorkerOptions,
} from '@invincible/temporal-runtime';
import {
  subscriptionWorkflowId,
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
 * Histories recorded from the Temporal dev server by `npm run record:histories` (the main
 * subscription scenarios). Replaying them against the current workflow code proves it still
 * makes the same decisions: a change that would break running subscriptions fails here.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const recorded = loadHistories(DIR);

/** The codec of the histories recorded encrypted (`<scenario>.encrypted.json`). */
const fixtureCodec = (() => {
  const parsed = payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: REPLAY_FIXTURE_CODEC_KEYS });
  if (!parsed.ok || !parsed.codec) throw new Error('the replay fixtures key does not parse');
  return parsed.codec;
})();

/**
 * The workflow id each history ran under, from its recorded input: the workflow checks that its id
 * is `subscriptionWorkflowId(input.subscriptionId)`, so a replay must use that id, not the file's
 * name (the older histories' code ignores it).
 */
async function withRecordedIds(
  list: readonly { readonly workflowId: string; readonly history: unknown }[],
) {
  return Promise.all(
    list.map(async (h) => {
      const input = (await recordedStartInput(h.history, [fixtureCodec])) as {
        subscriptionId: string;
      };
      return { ...h, workflowId: subscriptionWorkflowId(input.subscriptionId) };
    }),
  );
}
const names = recorded.map((h) => h.workflowId);
const encrypted = recorded.filter((h) => h.workflowId.includes('.encrypted'));
let histories: Awaited<ReturnType<typeof withRecordedIds>> = [];
/** The histories recorded with payloads in clear. */
const inClear = () => histories.filter((h) => !encrypted.some((e) => e.history === h.history));

describe('replay of recorded subscription histories', () => {
  jest.setTimeout(120_000);

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    histories = await withRecordedIds(recorded);
  });

  it('covers the main scenarios', () => {
    // Recorded before issue #13 (no markers), before it with charges-earn-loyalty-points
    // (`.pre-exactly-once`), with billing-exactly-once (`.exactly-once`), and by the current code
    // (`.search-attributes`: started as the API starts them, upserts behind their own patch), and
    // by the current code with payload encryption on (`.encrypted`, the fixtures' public key).
    const scenarios = [
      'three-periods-completed',
      'cancel-at-period-end',
      'cancel-signal-now',
      'price-change',
      'pause-resume',
      'dunning-recovers',
      'dunning-exhausted',
      'continue-as-new-then-cancel',
      'continue-as-new-then-cancel.run1',
    ];
    const current = [
      ...scenarios.filter((n) => !n.endsWith('.run1')),
      'cancel-update-now',
      'cancel-at-period-end-then-now',
    ];
    expect(names).toEqual(
      expect.arrayContaining([
        ...current.map((n) => `${n}.exactly-once`),
        ...current.map((n) => `${n}.pre-exactly-once`),
        ...current.map((n) => `${n}.search-attributes`),
        ...current.map((n) => `${n}.encrypted`),
        'continue-as-new-then-cancel.encrypted.run1',
        'continue-as-new-then-cancel.exactly-once.run1',
        'continue-as-new-then-cancel.pre-exactly-once.run1',
        'continue-as-new-then-cancel.search-attributes.run1',
      ]),
    );
    expect(names).toEqual(expect.arrayContaining(scenarios));
  });

  it('the current workflow code replays every one of them deterministically', async () => {
    // As the worker runs them: with the tracing interceptors and, as PAYLOAD_CODEC_KEYS installs
    // it, the payload codec (the encrypted histories need its key; the others pass through it).
    const failures = await replayFailures(require.resolve(WORKFLOW_SOURCES.billing), histories, {
      ...tracingWorkerOptions(undefined, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]),
      payloadCodecs: [fixtureCodec],
    });
    expect(failures).toEqual([]);
  });

  it('the encrypted histories hold every payload sealed, but search attributes and patch markers', () => {
    expect(encrypted).toHaveLength(11); // 10 scenarios, one of them over two runs
    for (const { workflowId, history } of encrypted) {
      expect({ workflowId, clear: clearPayloads(history) }).toEqual({ workflowId, clear: [] });
    }
    // The check sees payloads in clear: the histories recorded before encryption have them.
    const [plain] = recorded.filter((h) => h.workflowId.endsWith('.search-attributes'));
    expect(clearPayloads(plain?.history)).toContain(
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED json/plain',
    );
  });

  it('an encrypted history does not replay without its key', async () => {
    const sealed = histories.find(
      (h) => h.workflowId.includes('price-change') && !inClear().includes(h),
    );
    expect(sealed).toBeDefined();
    const wrongKey = new AesGcmPayloadCodec([{ id: 'other', key: randomBytes(32) }]);
    expect(
      await replayFailures(require.resolve(WORKFLOW_SOURCES.billing), sealed ? [sealed] : [], {
        payloadCodecs: [wrongKey],
      }),
    ).toEqual([
      expect.stringMatching(/replay-fixtures.{1,4}, which PAYLOAD_CODEC_KEYS does not list/),
    ]);
  });

  it('with the payload codec installed (PAYLOAD_CODEC_KEYS), histories recorded in clear still replay', async () => {
    // The codec leaves payloads that are not `binary/encrypted` as they are: turning encryption
    // on never strands a running subscription.
    const codec = new AesGcmPayloadCodec([{ id: 'replay', key: randomBytes(32) }]);
    for (const { history, workflowId } of inClear().slice(0, 3)) {
      await expect(
        Worker.runReplayHistory(
          {
            workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
            dataConverter: { payloadCodecs: [codec] },
          },
          history,
          workflowId,
        ),
      ).resolves.toBeUndefined();
    }
  });

  it('a change that is not replay-safe fails', async () => {
    const [first] = inClear();
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./testing/changed-subscription-workflows') },
        first?.history,
        first?.workflowId,
      ),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});

/**
 * A run of the `reconcile` workflow started by its Temporal Schedule on the dev server (recorded
 * with `temporal workflow show --output json`): the checks' order and their activities.
 */
describe('replay of a recorded reconcile history', () => {
  jest.setTimeout(120_000);

  it('the current workflow code replays it deterministically', async () => {
    const reconcile = loadHistories(join(DIR, 'reconcile')).map((h) => ({
      ...h,
      workflowId: 'reconcile-2026-11-30T21:15:00Z',
    }));
    expect(reconcile.map((h) => h.workflowId)).toHaveLength(1);
    expect(
      await replayFailures(
        require.resolve(WORKFLOW_SOURCES.billing),
        reconcile,
        tracingWorkerOptions(undefined, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]),
      ),
    ).toEqual([]);
  });
});
