import { randomBytes } from 'node:crypto';
import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { AesGcmPayloadCodec } from '@invincible/temporal-runtime';
import {
  cancelSignal,
  changePriceUpdate,
  BILLING_TASK_QUEUE,
  LOYALTY_TASK_QUEUE,
  loyaltyWorkflowId,
  statusQuery,
  subscriptionWorkflowId,
  type ReconciliationActivities,
  type SubscriptionInput,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import { createTestNamespace, temporalTestServers } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBillingWorker } from './billing-worker';

/**
 * With PAYLOAD_CODEC_KEYS, what Temporal stores is ciphertext: the billing and loyalty workers
 * as the apps create them, and a client with the same codec, run a subscription (input with the
 * customer's email, a charge, a price change Update, a query, a cancel signal, the points it
 * earns); the raw history events read back from the server hold no email, name or amount, and
 * every payload is `binary/encrypted` under the active key — while the same history read through
 * the codec shows the input.
 */
const { address } = temporalTestServers()[0] as { address: string };
const TUNING = {
  maxConcurrentActivityTaskExecutions: 10,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxCachedWorkflows: 100,
  shutdownGraceTimeMs: 1_000,
};

interface RawPayload {
  readonly path: string;
  readonly metadata: Record<string, Uint8Array>;
  readonly data: Uint8Array;
}

/** Every payload (an object with `metadata` and `data`) anywhere in a raw history, with its path. */
function payloadsOf(node: unknown, path = 'history', found: RawPayload[] = []): RawPayload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  const record = node as Record<string, unknown>;
  if (record['metadata'] && record['data'] instanceof Uint8Array) {
    found.push({ path, ...(record as Omit<RawPayload, 'path'>) });
    return found;
  }
  for (const [key, value] of Object.entries(record)) payloadsOf(value, `${path}.${key}`, found);
  return found;
}

/**
 * What the SDK keeps readable by design: search attributes (the server indexes them), its patch
 * markers (a patch id), and the tracing interceptors' header (`_tracer-data`: the W3C
 * `traceparent`, ids only), which it writes without the codec. None holds customer data.
 */
const READABLE_BY_DESIGN = /searchAttributes|patch-data|_tracer-data/;

/**
 * A namespace of its own, a client with `codec`, and the billing worker as the app creates it
 * (its codec installed), on an in-memory repository.
 */
async function withBillingWorker(namespace: string, codec: AesGcmPayloadCodec) {
  const connection = await Connection.connect({ address });
  await createTestNamespace(connection, namespace);
  const client = new Client({ connection, namespace, dataConverter: { payloadCodecs: [codec] } });
  const repo = createInMemoryRepository();
  const mailer = createOutboxMailer({ outbox: repo.outbox });
  const nativeConnection = await NativeConnection.connect({ address });
  const billing = await createBillingWorker({
    connection: nativeConnection,
    namespace,
    workflows: { workflowsPath: require.resolve(WORKFLOW_SOURCES.billing) },
    tuning: TUNING,
    activities: {
      ...createBillingActivities({
        repository: repo,
        payments: createSandboxGateway({ payments: repo.payments }),
        mailer,
        loyalty: createLoyaltyNotifier(client.workflow),
      }),
      // Not run here: no reconciliation is started.
      ...({} as ReconciliationActivities),
    },
    payloadCodec: codec,
  });
  return { namespace, connection, client, repo, mailer, nativeConnection, billing };
}

describe('payload encryption (PAYLOAD_CODEC_KEYS) on a real Temporal server', () => {
  jest.setTimeout(120_000);

  it('stores no customer email, name or amount in clear, and reads back through the codec', async () => {
    const run = Date.now().toString(36);
    const codec = new AesGcmPayloadCodec([{ id: 'test-1', key: randomBytes(32) }]);
    const { namespace, connection, client, repo, mailer, nativeConnection, billing } =
      await withBillingWorker(`codec-${run}`, codec);
    // The loyalty app's worker takes its codec the same way (apps/loyalty-worker).
    const loyalty = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({ repository: repo, mailer }),
      dataConverter: { payloadCodecs: [codec] },
    });
    const email = `ada.secret.${run}@example.com`;
    const input: SubscriptionInput = {
      subscriptionId: `codec-${run}`,
      customerId: `cus-codec-${run}`,
      customerEmail: email,
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1987, currency: 'USD' },
      interval: { unit: 'second', count: 2 },
      startAt: new Date(Date.now() + 500).toISOString(),
      timeZone: 'UTC',
      maxPeriods: 20,
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const handle = await loyalty.runUntil(
      billing.runUntil(async () => {
        const started = await client.workflow.start('subscription', {
          taskQueue: BILLING_TASK_QUEUE,
          workflowId: subscriptionWorkflowId(input.subscriptionId),
          args: [input],
        });
        for (let i = 0; i < 100 && (await started.query(statusQuery)).periodsBilled < 1; i++) {
          await sleep(200);
        }
        await started.executeUpdate(changePriceUpdate, {
          args: [{ price: { amountMinor: 2987, currency: 'USD' } }],
        });
        await started.signal(cancelSignal);
        await started.result();
        return started;
      }),
    );

    const clear = [email, 'Ada', '1987', '2987', 'amountMinor', 'pm_card_visa'];
    for (const workflowId of [handle.workflowId, loyaltyWorkflowId(input.customerId)]) {
      const raw = await connection.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId },
      });
      const payloads = payloadsOf(raw.history);
      const sealed = payloads.filter((p) => !READABLE_BY_DESIGN.test(p.path));
      expect(sealed.length).toBeGreaterThan(3);
      for (const payload of sealed) {
        expect([payload.path, Buffer.from(payload.metadata['encoding'] ?? []).toString()]).toEqual([
          payload.path,
          'binary/encrypted',
        ]);
        expect(Buffer.from(payload.metadata['encryption-key-id'] ?? []).toString()).toBe('test-1');
      }
      for (const payload of payloads) {
        const bytes = Buffer.from(payload.data).toString('latin1');
        for (const text of clear)
          expect([payload.path, bytes.includes(text)]).toEqual([payload.path, false]);
      }
    }
    // Through the codec, the same history shows the input.
    const history = await handle.fetchHistory();
    const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const decoded = await codec.decode(startedEvent?.input?.payloads ?? []);
    expect(Buffer.from(decoded[0]?.data ?? []).toString()).toContain(email);
    await nativeConnection.close();
    await connection.close();
  });
});

/**
 * A message sealed under a key the worker cannot open — a client holding another key under the
 * same id, or bytes tampered with in transit — is refused like any undecodable message: counted
 * by the workflow's message guard, never applied, and never a workflow task failing forever (the
 * subscription keeps answering and billing).
 */
describe('a message the payload codec cannot open (real Temporal server)', () => {
  jest.setTimeout(120_000);

  it('is counted as undecodable; the subscription goes on', async () => {
    const run = Date.now().toString(36);
    const codec = new AesGcmPayloadCodec([{ id: 'test-1', key: randomBytes(32) }]);
    const impostorCodec = new AesGcmPayloadCodec([{ id: 'test-1', key: randomBytes(32) }]);
    const { namespace, connection, client, nativeConnection, billing } = await withBillingWorker(
      `codec-forged-${run}`,
      codec,
    );
    const impostor = new Client({
      connection,
      namespace,
      dataConverter: { payloadCodecs: [impostorCodec] },
    });
    const input: SubscriptionInput = {
      subscriptionId: `forged-${run}`,
      customerId: `cus-forged-${run}`,
      customerEmail: 'ada@example.com',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1000, currency: 'USD' },
      interval: { unit: 'day', count: 30 },
      startAt: new Date(Date.now() + 86_400_000).toISOString(),
      timeZone: 'UTC',
    };
    const workflowId = subscriptionWorkflowId(input.subscriptionId);
    const status = await billing.runUntil(async () => {
      const handle = await client.workflow.start('subscription', {
        taskQueue: BILLING_TASK_QUEUE,
        workflowId,
        args: [input],
      });
      await handle.query(statusQuery);
      // A cancel whose argument is sealed under the impostor's key, under the same key id.
      await impostor.workflow.getHandle(workflowId).signal('cancel', { mode: 'now' });
      let answer = await handle.query(statusQuery);
      for (let i = 0; i < 50 && (answer.rejected?.undecodable ?? 0) === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        answer = await handle.query(statusQuery);
      }
      await handle.terminate('test over');
      return answer;
    });
    expect(status.rejected).toEqual({ undecodable: 1, malformed: 0, unknown: 0 });
    expect(status.status).not.toBe('canceled');
    await nativeConnection.close();
    await connection.close();
  });
});
