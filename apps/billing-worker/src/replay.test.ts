import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AesGcmPayloadCodec, tracingWorkerOptions } from '@invincible/temporal-runtime';
import {
  subscriptionWorkflowId,
  TRACING_INTERCEPTORS_SOURCE,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import { loadHistories, replayFailures } from '@invincible/workflows/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

/**
 * Histories recorded from the Temporal dev server by `npm run record:histories` (the main
 * subscription scenarios). Replaying them against the current workflow code proves it still
 * makes the same decisions: a change that would break running subscriptions fails here.
 */
const DIR = join(__dirname, '..', 'test', 'histories');
const recorded = loadHistories(DIR);

/**
 * The workflow id each history ran under, from its recorded input: the workflow checks that its id
 * is `subscriptionWorkflowId(input.subscriptionId)`, so a replay must use that id, not the file's
 * name (the older histories' code ignores it).
 */
function workflowIdOf(history: unknown): string {
  const started = (history as { events?: Record<string, unknown>[] }).events?.[0]?.[
    'workflowExecutionStartedEventAttributes'
  ] as { input?: { payloads?: { data?: string }[] } } | undefined;
  const data = started?.input?.payloads?.[0]?.data;
  if (!data) throw new Error('a history without a recorded input');
  const input = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as {
    subscriptionId: string;
  };
  return subscriptionWorkflowId(input.subscriptionId);
}
const histories = recorded.map((h) => ({ ...h, workflowId: workflowIdOf(h.history) }));
const names = recorded.map((h) => h.workflowId);

describe('replay of recorded subscription histories', () => {
  jest.setTimeout(120_000);

  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('covers the main scenarios', () => {
    // Recorded before issue #13 (no markers), before it with charges-earn-loyalty-points
    // (`.pre-exactly-once`), with billing-exactly-once (`.exactly-once`), and by the current code
    // (`.search-attributes`: started as the API starts them, upserts behind their own patch).
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
        'continue-as-new-then-cancel.exactly-once.run1',
        'continue-as-new-then-cancel.pre-exactly-once.run1',
        'continue-as-new-then-cancel.search-attributes.run1',
      ]),
    );
    expect(names).toEqual(expect.arrayContaining(scenarios));
  });

  it('the current workflow code replays every one of them deterministically', async () => {
    const failures = await replayFailures(
      require.resolve(WORKFLOW_SOURCES.billing),
      histories,
      tracingWorkerOptions(undefined, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]),
    );
    expect(failures).toEqual([]);
  });

  it('with the payload codec installed (PAYLOAD_CODEC_KEYS), histories recorded in clear still replay', async () => {
    // The codec leaves payloads that are not `binary/encrypted` as they are: turning encryption
    // on never strands a running subscription.
    const codec = new AesGcmPayloadCodec([{ id: 'replay', key: randomBytes(32) }]);
    for (const { history, workflowId } of histories.slice(0, 3)) {
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
