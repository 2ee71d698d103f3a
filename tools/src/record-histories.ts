/**
 * `npm run record:histories`: runs the main subscription scenarios on a real Temporal server
 * (TEMPORAL_ADDRESS, default 127.0.0.1:7233 — `npm run stack -- up`) with the real billing
 * activities on a real database (CASSANDRA_CONTACT_POINTS; keyspace `history_recording`), using
 * second-long intervals, and writes each execution's event history to
 * apps/billing-worker/test/histories/. The replay test replays them on every `npm test`: a change
 * to the workflow that is not deterministic against them fails CI.
 *
 * RECORD_ENCRYPTED=1 records with the payload codec the apps install when PAYLOAD_CODEC_KEYS is
 * set, under the fixtures' public test key (REPLAY_FIXTURE_CODEC_KEYS), into
 * `<scenario>.encrypted.json`: CI then replays what an encrypted deployment writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createRepository, repositoryConfigFromEnv } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { payloadCodecFromEnv } from '@invincible/temporal-runtime';
import {
  cancelSignal,
  cancelUpdate,
  changePriceUpdate,
  getPointsQuery,
  initialSubscriptionSearchAttributes,
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  recordPurchaseUpdate,
  redeemCouponUpdate,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  subscriptionWorkflowId,
  PAYLOAD_CONVERTER_SOURCE,
  WORKFLOW_SOURCES,
  type LoyaltyInput,
  type Purchase,
  type SubscriptionInput,
} from '@invincible/workflows';
import { REPLAY_FIXTURE_CODEC_KEYS } from '@invincible/workflows/testing';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { REPO_ROOT } from './paths';

const OUT = {
  billing: join(REPO_ROOT, 'apps', 'billing-worker', 'test', 'histories'),
  loyalty: join(REPO_ROOT, 'apps', 'loyalty-worker', 'test', 'histories'),
};
const TASK_QUEUE = `history-recording-${Date.now().toString(36)}`;
const LOYALTY_QUEUE = `${TASK_QUEUE}-loyalty`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Scenario = (
  start: (overrides: Partial<SubscriptionInput>) => Promise<WorkflowHandle>,
) => Promise<WorkflowHandle[]>;

/** Waits until the workflow reports `periods` billed (or dunned). */
async function billed(handle: WorkflowHandle, periods: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = await handle.query(statusQuery);
    if (s.periodsBilled >= periods || (s.lastCharge?.period ?? 0) >= periods) return;
    await sleep(100);
  }
  throw new Error(`${handle.workflowId}: ${periods} periods not billed in time`);
}

const scenarios: Record<string, Scenario> = {
  'three-periods-completed': async (start) => [await start({ maxPeriods: 3 })],
  'cancel-at-period-end': async (start) => {
    const h = await start({ interval: { unit: 'second', count: 2 } });
    await billed(h, 1);
    await h.executeUpdate(cancelUpdate, {
      args: [{ mode: 'at_period_end', reason: 'too_expensive' }],
    });
    return [h];
  },
  'cancel-signal-now': async (start) => {
    const h = await start({ interval: { unit: 'second', count: 2 } });
    await billed(h, 1);
    await h.signal(cancelSignal);
    return [h];
  },
  'price-change': async (start) => {
    const h = await start({ maxPeriods: 3, interval: { unit: 'second', count: 2 } });
    await billed(h, 1);
    await h.executeUpdate(changePriceUpdate, {
      args: [{ price: { amountMinor: 2999, currency: 'USD' } }],
    });
    return [h];
  },
  'pause-resume': async (start) => {
    const h = await start({ maxPeriods: 2, interval: { unit: 'second', count: 1 } });
    await billed(h, 1);
    await h.executeUpdate(pauseUpdate);
    await sleep(2_500);
    await h.executeUpdate(resumeUpdate);
    return [h];
  },
  'dunning-recovers': async (start) => [
    await start({
      paymentMethod: 'pm_card_declined_once',
      maxPeriods: 2,
      dunningDays: [1 / 86_400],
    }),
  ],
  'dunning-exhausted': async (start) => [
    await start({ paymentMethod: 'pm_card_declined', dunningDays: [1 / 86_400, 1 / 86_400] }),
  ],
  'cancel-update-now': async (start) => {
    const h = await start({ interval: { unit: 'second', count: 2 } });
    await billed(h, 1);
    await h.executeUpdate(cancelUpdate, { args: [{ mode: 'now', reason: 'customer_request' }] });
    return [h];
  },
  'cancel-at-period-end-then-now': async (start) => {
    const h = await start({ interval: { unit: 'second', count: 3 } });
    await billed(h, 1);
    await h.executeUpdate(cancelUpdate, { args: [{ mode: 'at_period_end' }] });
    await h.executeUpdate(cancelUpdate, { args: [{ mode: 'now' }] });
    return [h];
  },
  'continue-as-new-then-cancel': async (start) => {
    const h = await start({ periodsPerRun: 1 });
    const first = (await h.describe()).runId;
    await billed(h, 3);
    await h.signal(cancelSignal);
    return [h, h.client.getHandle(h.workflowId, first)];
  },
};

type LoyaltyScenario = (
  start: (overrides: Partial<LoyaltyInput>) => Promise<WorkflowHandle>,
) => Promise<WorkflowHandle[]>;

// Purchase ids are unique per recording: the ledger (shared keyspace) remembers earlier runs.
const RUN = Date.now().toString(36);
const buy = (purchaseId: string, total: number): Purchase => ({
  purchaseId: `${RUN}-${purchaseId}`,
  total,
  currency: 'USD',
  occurredAt: new Date().toISOString(),
});

const loyaltyScenarios: Record<string, LoyaltyScenario> = {
  'purchases-coupon-duplicates': async (start) => {
    const h = await start({});
    await h.executeUpdate(recordPurchaseUpdate, { args: [buy('p-1', 6_000)] });
    await h.signal(notifyPurchaseSignal, buy('p-2', 5_000));
    await h.signal(notifyPurchaseSignal, buy('p-2', 5_000));
    await h.executeUpdate(recordPurchaseUpdate, { args: [buy('p-1', 6_000)] });
    await h.signal(notifyPurchaseSignal, buy('bad', -1));
    await h.executeUpdate(recordPurchaseUpdate, { args: [buy('p-3', 25_000)] });
    return [h];
  },
  redeem: async (start) => {
    const h = await start({});
    await h.executeUpdate(recordPurchaseUpdate, { args: [buy('r-1', 10_000)] });
    const couponId = `${(await h.query(getPointsQuery)).customerId}:1`;
    await h.executeUpdate(redeemCouponUpdate, { args: [{ couponId }] });
    await h.executeUpdate(redeemCouponUpdate, { args: [{ couponId }] }).catch(() => undefined);
    return [h];
  },
  // A malformed, an unknown and an undecodable signal, then a purchase: counted, never a task failure.
  'rejected-messages': async (start) => {
    const h = await start({});
    await h.signal(notifyPurchaseSignal, buy('bad', -1));
    await h.signal('notifyPurchase', buy('wrong-name', 100));
    await h.client.workflowService.signalWorkflowExecution({
      namespace: h.client.options.namespace,
      workflowExecution: { workflowId: h.workflowId },
      signalName: notifyPurchaseSignal.name,
      input: {
        payloads: [
          {
            metadata: { encoding: new TextEncoder().encode('text/weird') },
            data: new TextEncoder().encode('x'),
          },
        ],
      },
    });
    await h.executeUpdate(recordPurchaseUpdate, { args: [buy('m-1', 1_000)] });
    return [h];
  },
  'continue-as-new': async (start) => {
    const h = await start({ eventsPerRun: 4 });
    const first = (await h.describe()).runId;
    for (let i = 0; i < 10; i++) {
      if (i % 2) await h.executeUpdate(recordPurchaseUpdate, { args: [buy(`c-${i}`, 1_000)] });
      else await h.signal(notifyPurchaseSignal, buy(`c-${i}`, 1_000));
    }
    await sleep(1_000);
    return [h, h.client.getHandle(h.workflowId, first)];
  },
};

async function main(): Promise<void> {
  // `npm run record:histories -- loyalty` (or `billing`) records one domain, keeping the other's.
  const only = process.argv[2];
  const address = process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
  // Histories hold the activities' results, not the database: RECORD_REPOSITORY=memory records
  // without one (the workflow code paths are the same).
  const repository =
    process.env['RECORD_REPOSITORY'] === 'memory'
      ? createInMemoryRepository()
      : await (async () => {
          const parsed = repositoryConfigFromEnv({
            ...process.env,
            CASSANDRA_KEYSPACE: 'history_recording',
          });
          if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
          const real = createRepository(parsed.config);
          await real.migrate();
          return real;
        })();
  const encrypted = process.env['RECORD_ENCRYPTED'] === '1';
  const codec = encrypted
    ? payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: REPLAY_FIXTURE_CODEC_KEYS })
    : undefined;
  if (codec && !codec.ok) throw new Error(codec.issues.join('\n'));
  const payloadCodecs = codec?.codec ? [codec.codec] : [];
  // HISTORY_SUFFIX=<tag> writes `<scenario>.<tag>.json`, keeping the histories of older code.
  const tag = process.env['HISTORY_SUFFIX'] ?? (encrypted ? 'encrypted' : '');
  const suffix = tag ? `.${tag}` : '';
  const dataConverter = {
    payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE),
    payloadCodecs,
  };
  const client = new Client({
    connection: await Connection.connect({ address }),
    dataConverter: { payloadCodecs },
  });
  const run = Date.now().toString(36);
  if (only !== 'loyalty') await recordBilling();
  if (only !== 'billing') await recordLoyalty();
  await repository.close();

  async function recordBilling(): Promise<void> {
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      dataConverter,
      activities: createBillingActivities({
        repository,
        payments: createSandboxGateway({ payments: repository.payments }),
        mailer: createOutboxMailer({ outbox: repository.outbox }),
        loyalty: createLoyaltyNotifier(client.workflow),
      }),
    });
    mkdirSync(OUT.billing, { recursive: true });
    await worker.runUntil(async () => {
      for (const [name, scenario] of Object.entries(scenarios)) {
        const start = (overrides: Partial<SubscriptionInput>) => {
          const input: SubscriptionInput = {
            subscriptionId: `${name}-${run}`,
            customerId: `cus-${name}`,
            customerEmail: 'ada@example.com',
            paymentMethod: 'pm_card_visa',
            price: { amountMinor: 1999, currency: 'USD' },
            interval: { unit: 'second', count: 1 },
            startAt: new Date(Date.now() + 1_000).toISOString(),
            timeZone: 'Europe/Paris',
            ...overrides,
          };
          return client.workflow.start('subscription', {
            taskQueue: TASK_QUEUE,
            workflowId: subscriptionWorkflowId(input.subscriptionId),
            args: [input],
            // As the API starts it (the histories hold the workflow's upserts as in production).
            typedSearchAttributes: initialSubscriptionSearchAttributes(input),
          });
        };
        const handles = await scenario(start);
        await handles[0]?.result();
        for (const [i, handle] of handles.entries()) {
          const file = join(OUT.billing, `${name}${suffix}${i > 0 ? `.run${i}` : ''}.json`);
          writeFileSync(file, historyToJSON(await handle.fetchHistory()));
          console.log(`recorded ${file}`);
        }
      }
    });
  }

  async function recordLoyalty(): Promise<void> {
    const loyaltyWorker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: LOYALTY_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      dataConverter,
      activities: createLoyaltyActivities({
        repository,
        mailer: createOutboxMailer({ outbox: repository.outbox }),
      }),
    });
    mkdirSync(OUT.loyalty, { recursive: true });
    await loyaltyWorker.runUntil(async () => {
      for (const [name, scenario] of Object.entries(loyaltyScenarios)) {
        const start = (overrides: Partial<LoyaltyInput>) => {
          const customerId = `loyal-${name}-${run}`;
          return client.workflow.start('loyaltyProgram', {
            taskQueue: LOYALTY_QUEUE,
            workflowId: loyaltyWorkflowId(customerId),
            args: [{ customerId, customerEmail: 'ada@example.com', ...overrides }],
          });
        };
        const handles = await scenario(start);
        for (const [i, handle] of handles.entries()) {
          const file = join(OUT.loyalty, `${name}${suffix}${i > 0 ? `.run${i}` : ''}.json`);
          writeFileSync(file, historyToJSON(await handle.fetchHistory()));
          console.log(`recorded ${file}`);
        }
        // The program never ends by itself: terminate the recording's executions.
        await handles[0]?.terminate('recorded');
      }
    });
  }
}

// Exit explicitly: the workers' native connections would keep the process alive.
main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
